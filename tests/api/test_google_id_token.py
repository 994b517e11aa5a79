"""Google's ID token is validated, as an attacker would try to get past it: an ID token from
another sign-in (its nonce), one signed with the attacker's key, for another client, from
another issuer, expired, or without a nonce. Each is a 400 and signs nobody in."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from authlib.jose import JsonWebKey, jwt

from src.settings import OAuthProvider
from tests.api.test_oauth import REDIRECT_TO, google, oidc, providers  # noqa: F401  (fixture)
from tests.fakes.http import serve

CLIENT_ID = "xpcore-test"


async def test_an_id_token_of_another_sign_in_is_refused(client, app, oidc) -> None:  # noqa: F811
    """The attacker swaps in the nonce of a sign-in they control: the provider's ID token then
    carries a nonce our server never sent to this browser."""
    client.cookies.clear()
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    assert httpx.put(f"{oidc}/users/{quote(sub)}", json={"email": f"{sub}@example.com"}).status_code == 204
    with providers(app, google=google(oidc)):
        start = await client.get(
            f"/api/v1/auth/google/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False
        )
        parts = urlsplit(start.headers["location"])
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["nonce"] = "the-attackers-nonce"
        consent = httpx.post(urlunsplit(parts._replace(query=urlencode(query))), data={"sub": sub})
        back = urlsplit(consent.headers["location"])
        answer = await client.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert answer.status_code == 400, answer.text
    assert "nonce" in answer.json()["detail"]
    assert "access_token" not in answer.cookies
    client.cookies.clear()


GOOD_KEY = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "google-1"})
ATTACKER_KEY = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "google-1"})


def _fake_google(forge: dict[str, Any]) -> Any:
    sub = f"g{uuid.uuid4().hex[:10]}"

    def token(request: Any) -> tuple[int, Any]:
        now = int(time.time())
        claims = {
            "iss": forge["base"],
            "aud": CLIENT_ID,
            "sub": sub,
            "iat": now,
            "exp": now + 600,
            "nonce": forge["nonce"],
            "email": f"{sub}@example.com",
            "email_verified": True,
        }
        claims.update(forge.get("claims", {}))
        claims = {k: v for k, v in claims.items() if v is not None}
        key = forge.get("key", GOOD_KEY)
        signed = jwt.encode({"alg": "RS256", "kid": "google-1"}, claims, key).decode()
        return 200, {"access_token": "at", "token_type": "Bearer", "id_token": signed}

    routes = {
        ("GET", "/.well-known/openid-configuration"): lambda r: (
            200,
            {
                "issuer": forge["base"],
                "authorization_endpoint": f"{forge['base']}/authorize",
                "token_endpoint": f"{forge['base']}/token",
                "userinfo_endpoint": f"{forge['base']}/userinfo",
                "jwks_uri": f"{forge['base']}/jwks",
            },
        ),
        ("GET", "/jwks"): lambda r: (200, {"keys": [GOOD_KEY.as_dict(is_private=False)]}),
        ("POST", "/token"): token,
        ("GET", "/userinfo"): lambda r: (200, {"sub": sub, "name": "G"}),
    }
    return serve(routes)


FORGERIES = {
    "signed with the attacker's key": {"key": ATTACKER_KEY},
    "for another client": {"claims": {"aud": "someone-else"}},
    "from another issuer": {"claims": {"iss": "https://evil.example"}},
    "expired": {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
    "without a nonce": {"claims": {"nonce": None}},
}


async def _callback(client, app, forge: dict[str, Any]) -> httpx.Response:
    with _fake_google(forge) as base:
        forge["base"] = base
        conf = OAuthProvider(
            client_id=CLIENT_ID, client_secret="s", metadata_url=f"{base}/.well-known/openid-configuration"
        )
        with providers(app, google=conf):
            client.cookies.clear()
            start = await client.get(
                f"/api/v1/auth/google/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False
            )
            query = parse_qs(urlsplit(start.headers["location"]).query)
            forge.setdefault("nonce", query["nonce"][0])
            return await client.get(
                f"/api/v1/auth/google/callback?code=c&state={query['state'][0]}", follow_redirects=False
            )


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
async def test_a_forged_id_token_is_refused(client, app, forgery) -> None:
    answer = await _callback(client, app, dict(FORGERIES[forgery]))
    assert answer.status_code == 400, answer.text
    assert "access_token" not in answer.cookies
    client.cookies.clear()


async def test_a_genuine_id_token_signs_in(client, app) -> None:
    answer = await _callback(client, app, {})
    assert answer.status_code == 302, answer.text
    assert "access_token" in answer.cookies
    client.cookies.clear()
