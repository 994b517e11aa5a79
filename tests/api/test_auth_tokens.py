"""JWT verification, refresh rotation and reuse, JWKS for other services."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from src.auth.keys import key_ring
from src.auth.tokens import refresh_hash


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(settings, user_id, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": settings.jwt.issuer,
        "aud": settings.jwt.audience,
        "sub": str(user_id),
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "roles": ["user", "admin"],
    }
    claims.update(overrides)
    return claims


async def _me(client, token: str) -> int:
    client.cookies.clear()
    return (await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def test_a_genuine_token_is_accepted(client, user) -> None:
    assert await _me(client, user["access_token"]) == 200


async def test_forged_and_broken_tokens_are_all_401(client, app, user) -> None:
    settings = app.state.settings
    ring = key_ring(settings)
    public_pem = ring.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = _claims(settings, user["id"])
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': ring.kid})}.{_b64(claims)}."
    import hashlib
    import hmac

    head = _b64({"alg": "HS256", "typ": "JWT", "kid": ring.kid})
    body = _b64(claims)
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    hs256_with_public_key = f"{head}.{body}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def signed(**overrides) -> str:
        return jwt.encode(
            _claims(settings, user["id"], **overrides), ring.private_key, "RS256", headers={"kid": ring.kid}
        )

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unknown_kid = jwt.encode(claims, stranger, "RS256", headers={"kid": "not-ours"})
    ours_kid_other_key = jwt.encode(claims, stranger, "RS256", headers={"kid": ring.kid})
    good = user["access_token"]
    header, payload, signature = good.split(".")
    tampered_claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    tampered_claims["roles"] = ["user", "admin"]
    tampered = f"{header}.{_b64(tampered_claims)}.{signature}"

    attacks = {
        "alg none": alg_none,
        "HS256 signed with the public key": hs256_with_public_key,
        "expired": signed(exp=int(time.time()) - 60, iat=int(time.time()) - 1000),
        "wrong audience": signed(aud="someone-else"),
        "wrong issuer": signed(iss="https://evil.example"),
        "unknown kid": unknown_kid,
        "our kid, another key": ours_kid_other_key,
        "tampered payload": tampered,
        "garbage": "not.a.token",
    }
    results = {name: await _me(client, token) for name, token in attacks.items()}
    assert results == dict.fromkeys(attacks, 401)


async def test_other_services_verify_our_tokens_with_the_jwks_alone(client, user, app) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    jwks = response.json()
    assert all(k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in jwks["keys"])
    token = user["access_token"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(
        token,
        key=jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=app.state.settings.jwt.audience,
        issuer=app.state.settings.jwt.issuer,
    )
    assert claims["sub"] == str(user["id"]) and claims["roles"] == ["user"]
    assert {"exp", "iat", "jti", "iss", "aud", "sub"} <= set(claims)


async def test_previous_keys_still_verify_and_are_published(tmp_path, monkeypatch) -> None:
    from src.auth.tokens import issue_access, verify_access
    from src.settings import load_settings

    old, new = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))

    def pem(key) -> str:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    monkeypatch.setenv("JWT_PRIVATE_KEY", pem(old))
    before = load_settings()
    token = issue_access(before, {"id": uuid.uuid4(), "roles": ["user"]}, None)
    (tmp_path / "old.pub").write_bytes(
        old.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    monkeypatch.setenv("JWT_PRIVATE_KEY", pem(new))
    monkeypatch.setenv("JWT_PREVIOUS_PUBLIC_KEYS", str(tmp_path / "old.pub"))
    after = load_settings()
    assert verify_access(after, token).roles == ("user",)
    assert len(key_ring(after).jwks()["keys"]) == 2


async def test_refresh_reuse_revokes_the_whole_family(client, user, db, app) -> None:
    client.cookies.clear()
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert first.status_code == 200
    r2 = first.json()["refresh_token"]
    # past the reuse interval (two tabs, tests/api/test_sessions.py)
    await db.execute(
        "update auth.refresh_tokens set used_at = now() - interval '1 minute' where token_hash = $1",
        refresh_hash(app.state.settings, user["refresh_token"]),
    )
    client.cookies.clear()
    reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert reuse.status_code == 401
    assert "reused" in reuse.json()["detail"]
    client.cookies.clear()
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": r2})).status_code == 401


async def test_refresh_by_cookie_needs_the_csrf_header(client, user) -> None:
    client.cookies.clear()
    login = await client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    cookies = dict(login.cookies.items())
    client.cookies.clear()
    client.cookies.update(cookies)
    assert (await client.post("/api/v1/auth/refresh")).status_code == 403
    rotated = await client.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": cookies["csrf_token"]})
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != cookies["refresh_token"]
    client.cookies.clear()


async def test_cookie_attributes(client, user) -> None:
    client.cookies.clear()
    answer = await client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    cookies = {c.split("=", 1)[0]: c.lower() for c in answer.headers.get_list("set-cookie")}
    assert "httponly" in cookies["access_token"] and "httponly" in cookies["refresh_token"]
    assert "httponly" not in cookies["csrf_token"]
    assert "path=/api/v1/auth" in cookies["refresh_token"]
    assert "samesite=lax" in cookies["access_token"]
    client.cookies.clear()


async def test_a_remembered_token_still_expires(app) -> None:
    """The per-process cache of verified tokens never outlives a token's exp."""
    from src.auth import tokens

    settings = app.state.settings
    ring = key_ring(settings)
    short = jwt.encode(
        _claims(settings, uuid.uuid4(), exp=int(time.time()) + 2), ring.private_key, "RS256", headers={"kid": ring.kid}
    )
    assert tokens.verify_access(settings, short).user_id is not None
    assert short in tokens._verified
    time.sleep(2.2 + 5)  # past exp and the 5 s leeway
    import pytest

    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access(settings, short)
