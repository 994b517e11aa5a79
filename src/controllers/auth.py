"""Auth endpoints of api.md: e-mail OTP login, refresh rotation, logout, and the JWKS."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException, PermissionDeniedException

from src.answers import documented
from src.answers.platform import Jwks
from src.auth.cookies import clear_auth_cookies
from src.auth.csrf import HEADER, REFUSED, csrf_ok
from src.auth.keys import key_ring
from src.auth.ratelimit import RateLimited, hit
from src.auth.secrets import keyed_hash, seal, unseal
from src.auth.session import TokenPair, start_session, token_pair, token_response
from src.auth.tokens import new_refresh_token, refresh_hash
from src.guards import requires_user
from src.sql import auth as sql

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$", max_length=254)]
OTP_TTL_S = 600
OTP_WINDOW_S = 600
OTP_MAX_FAILURES = 5
OTP_LOCK_S = 900
REFRESH_REUSE_S = 10  # a spent refresh token still answers with its successor this long (two tabs)


class OtpRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class OtpAccepted(msgspec.Struct):
    status: str = "sent"
    detail: str = "if the address can sign in, a code is on its way"


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str | None = None


class TooManyRequests(HTTPException):
    status_code = 429


def _too_many(detail: str, retry_after: int) -> TooManyRequests:
    return TooManyRequests(detail=detail, headers={"Retry-After": str(max(1, retry_after))})


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/otp", status_code=202)
    async def request_code(self, request: Request[Any, Any, Any], data: OtpRequest) -> OtpAccepted:
        """Send a 6-digit login code. The answer is the same for known and unknown addresses."""
        state = request.app.state
        settings = state.settings
        email = data.email.lower()
        try:
            prefix = settings.redis.key_prefix
            await hit(state.redis, f"otp:ip:{_client_ip(request)}", settings.otp_max_per_ip, OTP_WINDOW_S, prefix)
            email_key = f"otp:email:{keyed_hash(settings, 'email', email).hex()}"
            await hit(state.redis, email_key, settings.otp_max_per_email, OTP_WINDOW_S, prefix)
        except RateLimited as limited:
            raise _too_many("too many code requests; try again later", limited.retry_after) from None
        code = f"{secrets.randbelow(1_000_000):06d}"
        await state.db.execute(sql.OTP_STORE, email, keyed_hash(settings, "otp", f"{email}:{code}"), OTP_TTL_S)
        await state.queue.enqueue(
            "send_login_code",
            to=email,
            sealed_code=seal(settings, code),
            timeout=30,
            retries=5,
            retry_delay=2.0,
            retry_backoff=True,
        )
        return OtpAccepted()

    @post("/login", status_code=200)
    async def login(self, request: Request[Any, Any, Any], data: LoginRequest) -> Response[TokenPair]:
        """Exchange a login code for a TokenPair (the user is created on first login)."""
        state = request.app.state
        settings = state.settings
        email = data.email.lower()
        answer = await state.db.fetchval(
            sql.OTP_VERIFY, email, keyed_hash(settings, "otp", f"{email}:{data.code}"), OTP_MAX_FAILURES, OTP_LOCK_S
        )
        if answer["status"] == "locked":
            raise _too_many("too many wrong codes; this address is locked for a while", answer["retry_after"])
        if answer["status"] != "ok":
            raise ClientException("wrong or expired code")
        return token_response(settings, await start_session(state.db, settings, answer["user"]))

    @post("/refresh", status_code=200)
    async def refresh(self, request: Request[Any, Any, Any], data: RefreshRequest | None = None) -> Response[TokenPair]:
        """Rotate a refresh token (body or cookie). A reused old token revokes its whole family,
        except within 10 s of its rotation: then it answers with the same new refresh token."""
        state = request.app.state
        settings = state.settings
        presented = (data.refresh_token if data else None) or request.cookies.get("refresh_token")
        if not presented:
            raise NotAuthorizedException("refresh token required")
        if not (data and data.refresh_token):  # cookie-borne: same CSRF rule as other unsafe requests
            family = await state.db.fetchval(sql.REFRESH_FAMILY, refresh_hash(settings, presented))
            if not csrf_ok(settings, family, request.headers.get(HEADER)):
                raise PermissionDeniedException(REFUSED)
        fresh = new_refresh_token()
        answer = await state.db.fetchval(
            sql.REFRESH_ROTATE,
            refresh_hash(settings, presented),
            refresh_hash(settings, fresh),
            settings.jwt.refresh_ttl_s,
            seal(settings, fresh),
            REFRESH_REUSE_S,
        )
        if answer["status"] != "ok":
            reason = {"reuse": "refresh token reused; the session has been revoked"}.get(
                answer["status"], "refresh token is invalid, expired or revoked"
            )
            raise NotAuthorizedException(reason)
        if answer.get("successor_sealed"):  # a second tab within the reuse interval
            fresh = unseal(settings, answer["successor_sealed"])
        return token_response(settings, token_pair(settings, answer["user"], answer["family_id"], fresh))

    @post("/logout", guards=[requires_user], status_code=204)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[None]:
        """Revoke this session's refresh-token family and clear the cookies."""
        principal = request.user
        if principal.session_id is not None:
            await request.app.state.db.fetchval(sql.FAMILY_REVOKE, principal.session_id, principal.user_id)
        return clear_auth_cookies(Response(None, status_code=204), request.app.state.settings)


class JWKSController(Controller):
    path = "/.well-known"
    tags = ["platform"]

    @get("/jwks.json", cache_control=None, responses=documented(Jwks, "The public keys that verify our access tokens"))
    async def jwks(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Current and previous public keys; other services verify our tokens with these alone."""
        body = key_ring(request.app.state.settings).jwks()
        return Response(body, headers={"Cache-Control": "public, max-age=300"})
