"""Access tokens (RS256 JWT, 15 minutes) and refresh tokens (opaque, 30 days, stored hashed,
rotated on every use; reuse revokes the family — see auth.refresh_rotate)."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import jwt

from src.auth.keys import key_ring
from src.auth.principal import Principal
from src.auth.secrets import keyed_hash
from src.settings import Settings


class InvalidToken(Exception):
    """The presented access token is not one of ours, or no longer valid."""


def issue_access(settings: Settings, user: dict[str, Any], session_id: uuid.UUID | str | None) -> str:
    ring = key_ring(settings)
    now = int(time.time())
    claims = {
        "iss": settings.jwt.issuer,
        "aud": settings.jwt.audience,
        "sub": str(user["id"]),
        "iat": now,
        "nbf": now,
        "exp": now + settings.jwt.access_ttl_s,
        "jti": uuid.uuid4().hex,
        "roles": list(user.get("roles") or ["user"]),
    }
    if session_id:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, ring.private_key, algorithm="RS256", headers={"kid": ring.kid})


_verified: dict[str, tuple[Principal, float]] = {}
_VERIFIED_MAX = 20_000


def verify_access(settings: Settings, token: str) -> Principal:
    """Only RS256, only our keys (by kid), our issuer and audience, not expired.

    A token that verified once is remembered in this process until it expires: the signature
    cannot change, and the RS256 check is the costliest part of an authenticated request.
    """
    cached = _verified.get(token)
    if cached is not None:
        if cached[1] > time.time():
            return cached[0]
        _verified.pop(token, None)
    principal, expires = _verify(settings, token)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (principal, expires)
    return principal


def _verify(settings: Settings, token: str) -> tuple[Principal, float]:
    ring = key_ring(settings)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    if header.get("alg") != "RS256":
        raise InvalidToken("unsupported algorithm")
    key = ring.public_keys.get(str(header.get("kid")))
    if key is None:
        raise InvalidToken("unknown key id")
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=settings.jwt.audience,
            issuer=settings.jwt.issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]},
            leeway=5,
        )
        user_id = uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc
    sid = claims.get("sid")
    principal = Principal(
        user_id=user_id,
        roles=tuple(claims.get("roles") or ()),
        session_id=uuid.UUID(sid) if sid else None,
    )
    return principal, float(claims["exp"])


def new_refresh_token() -> str:
    return "xpr_" + secrets.token_urlsafe(32)


def refresh_hash(settings: Settings, token: str) -> bytes:
    return keyed_hash(settings, "refresh", token)
