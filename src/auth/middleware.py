"""Puts the caller in `scope["user"]`: an API key (`X-API-Key`), else a Bearer token, else the
`access_token` cookie. A cookie-authenticated unsafe request must send its session's CSRF token
in `X-CSRF-Token` (src/auth/csrf.py). Bad credentials leave the caller anonymous and record why in
`scope["auth_error"]`, so public routes still answer and guards answer 401/403 with the reason.
API keys are rate limited per key and minute, counted in-process and shared through Redis
twice a second (fails open if Redis is down: awards go on).
"""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from src.auth.csrf import REFUSED, csrf_ok
from src.auth.ratelimit import RateLimited
from src.auth.tokens import InvalidToken, verify_access
from src.problems import send_problem

log = logging.getLogger("xpcore.auth")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    wanted = (b"authorization", b"x-api-key", b"cookie", b"x-csrf-token")
    return {k: v for k, v in scope.get("headers", []) if k in wanted}


def _cookies(raw: bytes | None) -> dict[str, str]:
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


Error = tuple[int, str, str]  # (status, detail, problem code) of credentials that were refused
_redis_warned = False


async def authenticate(scope: Scope) -> tuple[Any, Error | None]:
    """The caller of an HTTP request: (a Principal or None, why the credentials were refused or
    None). Counts an API key's request against its limit: raises RateLimited past it. Also used
    by src/fast_lane.py, which hands what it found on in the scope so nothing is counted twice."""
    global _redis_warned
    state = scope["litestar_app"].state
    settings = state.settings
    headers = _headers(scope)
    principal = None
    error: Error | None = None

    api_key = headers.get(b"x-api-key")
    authorization = headers.get(b"authorization", b"")
    if api_key:
        principal = await state.api_keys.verify(state.db, api_key.decode("latin-1"))
        if principal is None:
            error = (401, "invalid or revoked API key", "auth.invalid_api_key")
        else:
            try:
                await state.api_key_limiter.hit(
                    state.redis, f"key:{principal.api_key_id}", settings.api_key_max_per_minute
                )
            except RateLimited:
                raise
            except Exception as exc:  # Redis down: fail open, say so once
                if not _redis_warned:
                    log.warning("API key rate limit not enforced: redis unavailable (%s)", type(exc).__name__)
                    _redis_warned = True
    elif authorization[:7].lower() == b"bearer ":
        try:
            principal = verify_access(settings, authorization[7:].decode("latin-1").strip())
        except InvalidToken as exc:
            error = (401, f"invalid access token: {exc}", "auth.invalid_token")
    else:
        cookies = _cookies(headers.get(b"cookie"))
        token = cookies.get("access_token")
        if token:
            try:
                principal = verify_access(settings, token)
                principal = type(principal)(**{**_fields(principal), "via": "cookie"})
            except InvalidToken as exc:
                error = (401, f"invalid access token: {exc}", "auth.invalid_token")
            if principal is not None and scope.get("method") in UNSAFE:
                sent = (headers.get(b"x-csrf-token") or b"").decode("latin-1")
                if not csrf_ok(settings, principal.session_id, sent):
                    principal, error = None, (403, REFUSED, "auth.csrf_refused")
    return principal, error


async def send_rate_limited(send: Send, limited: RateLimited) -> None:
    await send_problem(
        send,
        429,
        "API key rate limit exceeded",
        {"Retry-After": str(limited.retry_after)},
        code="auth.api_key_rate_limited",
    )


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "auth_error" not in scope:  # else the fast lane authenticated this request already
            try:
                principal, error = await authenticate(scope)
            except RateLimited as limited:
                await send_rate_limited(send, limited)
                return
            scope["user"] = principal
            scope["auth_error"] = error  # type: ignore[typeddict-unknown-key]
        await self.app(scope, receive, send)


def _fields(principal: Any) -> dict[str, Any]:
    return {f: getattr(principal, f) for f in principal.__struct_fields__}
