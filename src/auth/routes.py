"""Auth endpoints of api.md: e-mail OTP login, refresh rotation, logout, the JWKS, OAuth
sign-in and linking (Google, GitHub, Discord), and the admin's API keys.

OAuth is a server-side flow: /authorize keeps state, PKCE verifier and redirect_to in Redis (10
minutes, single use), binds the state to the browser with a short-lived HttpOnly
`oauth_binding` cookie (only its hash is stored; without it an attacker's own state and code,
opened in a victim's browser, would sign the victim into the attacker's account) and sends the
browser to the provider; /callback checks the state and the binding, exchanges the code, signs
the user in with cookies and sends the browser to the allow-listed redirect_to. Clients that
run the browser step themselves post the code to /token for a TokenPair. A signed-in user
links a provider account with /link (the same flow; the state also names the user, and the
callback must come from that user's browser session): one xpcore account per provider
account, one account of each provider per user.

An API key is shown once, in the answer that creates it; only its hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from typing import Annotated, Any

import msgspec
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import Parameter
from litestar.response import Redirect

from src.answers import documented
from src.auth import answers as answers
from src.auth import api_keys, calls, providers
from src.auth.cookies import AUTH_PATH, clear_auth_cookies, cookie, set_auth_cookies
from src.auth.csrf import HEADER, REFUSED, csrf_ok
from src.auth.keys import key_ring
from src.auth.ratelimit import RateLimited, hit
from src.auth.redirects import allowed
from src.auth.secrets import keyed_hash, seal, unseal
from src.auth.session import TokenPair, start_session, token_pair, token_response
from src.auth.tokens import new_refresh_token, refresh_hash
from src.db import Database, Document
from src.guards import requires_admin, requires_user
from src.problems import with_code

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
    async def request_code(self, request: Request[Any, Any, Any], db: Database, data: OtpRequest) -> OtpAccepted:
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
            raise with_code(
                _too_many("too many code requests; try again later", limited.retry_after), "auth.otp_rate_limited"
            ) from None
        code = f"{secrets.randbelow(1_000_000):06d}"
        await calls.otp_store(db, email, keyed_hash(settings, "otp", f"{email}:{code}"), OTP_TTL_S)
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
    async def login(self, request: Request[Any, Any, Any], db: Database, data: LoginRequest) -> Response[TokenPair]:
        """Exchange a login code for a TokenPair (the user is created on first login)."""
        state = request.app.state
        settings = state.settings
        email = data.email.lower()
        answer = await calls.otp_verify(
            db, email, keyed_hash(settings, "otp", f"{email}:{data.code}"), OTP_MAX_FAILURES, OTP_LOCK_S
        )
        if answer["status"] == "locked":
            raise with_code(
                _too_many("too many wrong codes; this address is locked for a while", answer["retry_after"]),
                "auth.otp_locked",
            )
        if answer["status"] != "ok":
            raise with_code(ClientException("wrong or expired code"), "auth.otp_invalid")
        return token_response(settings, await start_session(db, settings, answer["user"]))

    @post("/refresh", status_code=200)
    async def refresh(
        self, request: Request[Any, Any, Any], db: Database, data: RefreshRequest | None = None
    ) -> Response[TokenPair]:
        """Rotate a refresh token (body or cookie). A reused old token revokes its whole family,
        except within 10 s of its rotation: then it answers with the same new refresh token."""
        settings = request.app.state.settings
        presented = (data.refresh_token if data else None) or request.cookies.get("refresh_token")
        if not presented:
            raise with_code(NotAuthorizedException("refresh token required"), "auth.refresh_token_required")
        if not (data and data.refresh_token):  # cookie-borne: same CSRF rule as other unsafe requests
            family = await calls.refresh_family(db, refresh_hash(settings, presented))
            if not csrf_ok(settings, family, request.headers.get(HEADER)):
                raise with_code(PermissionDeniedException(REFUSED), "auth.csrf_refused")
        fresh = new_refresh_token()
        answer = await calls.refresh_rotate(
            db,
            refresh_hash(settings, presented),
            refresh_hash(settings, fresh),
            settings.jwt.refresh_ttl_s,
            seal(settings, fresh),
            REFRESH_REUSE_S,
        )
        if answer["status"] != "ok":
            if answer["status"] == "reuse":
                raise with_code(
                    NotAuthorizedException("refresh token reused; the session has been revoked"),
                    "auth.refresh_token_reused",
                )
            raise with_code(
                NotAuthorizedException("refresh token is invalid, expired or revoked"), "auth.refresh_token_invalid"
            )
        if answer.get("successor_sealed"):  # a second tab within the reuse interval
            fresh = unseal(settings, answer["successor_sealed"])
        return token_response(settings, token_pair(settings, answer["user"], answer["family_id"], fresh))

    @post("/logout", guards=[requires_user], status_code=204)
    async def logout(self, request: Request[Any, Any, Any], db: Database) -> Response[None]:
        """Revoke this session's refresh-token family and clear the cookies."""
        principal = request.user
        if principal.session_id is not None:
            await calls.family_revoke(db, principal.session_id, principal.user_id)
        return clear_auth_cookies(Response(None, status_code=204), request.app.state.settings)


class JWKSController(Controller):
    path = "/.well-known"
    tags = ["platform"]

    @get(
        "/jwks.json",
        cache_control=None,
        responses=documented(answers.Jwks, "The public keys that verify our access tokens"),
    )
    async def jwks(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Current and previous public keys; other services verify our tokens with these alone."""
        body = key_ring(request.app.state.settings).jwks()
        return Response(body, headers={"Cache-Control": "public, max-age=300"})


STATE_TTL_S = 600
BINDING_COOKIE = "oauth_binding"
Provider = Annotated[str, msgspec.Meta(pattern=r"^(google|github|discord)$")]


class CodeExchange(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    redirect_uri: Annotated[str, msgspec.Meta(max_length=2048)]
    code_verifier: Annotated[str, msgspec.Meta(min_length=43, max_length=128)] | None = None
    # Google: the nonce the client sent with its authorization request, checked in the ID token
    nonce: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None


def _settings(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.settings


def _enabled(request: Request[Any, Any, Any], provider: str) -> None:
    if provider not in providers.PROVIDERS or not providers.enabled(_settings(request), provider):
        raise with_code(
            NotFoundException(f"sign-in with {provider} is not enabled on this server"), "auth.provider_not_enabled"
        )


def _digest(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()


def _callback_uri(request: Request[Any, Any, Any], provider: str) -> str:
    return f"{_settings(request).public_url}/api/v1/auth/{provider}/callback"


async def _sign_in(request: Request[Any, Any, Any], db: Database, identity: providers.Identity) -> TokenPair:
    user = await calls.oauth_login(
        db,
        identity.provider,
        identity.subject,
        identity.email,
        identity.email_verified,
        identity.username_hint,
        identity.display_name,
        identity.avatar_url,
    )
    return await start_session(db, request.app.state.settings, user)


async def _start(request: Request[Any, Any, Any], provider: str, redirect_to: str, link_user: str | None) -> Redirect:
    """State, PKCE verifier, nonce and redirect_to kept server-side; the state bound to this
    browser (and, for a link, to the signed-in user)."""
    _enabled(request, provider)
    settings = _settings(request)
    if not allowed(redirect_to, settings.redirect_allowlist):
        raise with_code(ClientException("redirect_to is not an allowed destination"), "auth.redirect_not_allowed")
    state, verifier, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    where = await providers.endpoints(settings, provider)
    async with providers.client(settings, provider, _callback_uri(request, provider)) as client:
        extra = {"nonce": nonce} if provider == "google" else {}
        url, _ = client.create_authorization_url(
            where.authorize,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            **extra,
        )
    binding = secrets.token_urlsafe(24)
    record = json.dumps(
        {
            "provider": provider,
            "verifier": verifier,
            "redirect_to": redirect_to,
            "binding": _digest(binding),
            "nonce": nonce if provider == "google" else None,
            "link_user": link_user,
        }
    )
    await request.app.state.redis.set(f"{settings.redis.key_prefix}:oauth:{state}", record, ex=STATE_TTL_S)
    redirect = Redirect(url, status_code=302)
    redirect.set_cookie(cookie(settings, BINDING_COOKIE, binding, STATE_TTL_S, path=AUTH_PATH))
    return redirect


async def _link(request: Request[Any, Any, Any], db: Database, link_user: str, identity: providers.Identity) -> None:
    """The callback of a link: only the user who started it, still signed in, completes it."""
    principal = request.user
    if principal is None or principal.user_id is None:
        raise with_code(NotAuthorizedException("sign in again to link this account"), "auth.sign_in_to_link")
    if str(principal.user_id) != link_user:
        raise with_code(ClientException("this link was started by another user; start again"), "auth.link_other_user")
    answer = await calls.oauth_link(
        db, principal.user_id, identity.provider, identity.subject, identity.email, identity.email_verified
    )
    if answer["status"] != "linked":
        detail, code = LINK_REFUSED.get(answer["status"], ("the account could not be linked", "auth.link_refused"))
        raise with_code(Conflict(detail=detail), code)


class Conflict(HTTPException):
    status_code = 409


LINK_REFUSED = {
    "taken": ("that account is already linked to another user", "auth.link_taken"),
    "other": ("you already linked another account of this provider", "auth.link_one_per_provider"),
    "gone": ("this account no longer exists", "users.account_gone"),
}


class OAuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @get("/{provider:str}/authorize", status_code=302)
    async def authorize(self, request: Request[Any, Any, Any], provider: str, redirect_to: str) -> Redirect:
        """Start the provider's sign-in; state and PKCE are kept server-side."""
        return await _start(request, provider, redirect_to, None)

    @get("/{provider:str}/link", status_code=302, guards=[requires_user])
    async def link(self, request: Request[Any, Any, Any], provider: str, redirect_to: str) -> Redirect:
        """Signed in: link an account of this provider to yours (Discord also sets your discord_id)."""
        return await _start(request, provider, redirect_to, str(request.user.user_id))

    @get("/{provider:str}/callback", status_code=302)
    async def callback(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        provider: str,
        oauth_state: Annotated[str, Parameter(query="state", max_length=200)],
        code: str | None = None,
        error: str | None = None,
    ) -> Response[Any]:
        """The provider sends the browser back here: check state, sign in, go to redirect_to."""
        _enabled(request, provider)
        settings = _settings(request)
        raw = await request.app.state.redis.getdel(f"{settings.redis.key_prefix}:oauth:{oauth_state}")
        record = json.loads(raw) if raw else None
        if record is None or record["provider"] != provider:
            raise with_code(
                ClientException("unknown or expired sign-in state; start again"), "auth.oauth_state_unknown"
            )
        binding = request.cookies.get(BINDING_COOKIE) or ""
        if not hmac.compare_digest(_digest(binding), record.get("binding", "")):
            raise with_code(
                ClientException("this sign-in was started in another browser; start again"), "auth.oauth_other_browser"
            )
        if error or not code:
            raise with_code(
                ClientException(f"the provider did not authorize the sign-in: {error or 'no code'}"),
                "auth.provider_refused",
            )
        try:
            identity = await providers.exchange(
                settings, provider, code, _callback_uri(request, provider), record["verifier"], record.get("nonce")
            )
        except providers.ProviderError as exc:
            raise with_code(ClientException(f"sign-in with {provider} failed: {exc}"), "auth.provider_failed") from None
        redirect = Redirect(record["redirect_to"], status_code=302)
        redirect.set_cookie(cookie(settings, BINDING_COOKIE, "", 0, path=AUTH_PATH))
        if record.get("link_user"):
            await _link(request, db, record["link_user"], identity)
            return redirect
        pair = await _sign_in(request, db, identity)
        return set_auth_cookies(redirect, settings, pair.access_token, pair.refresh_token)

    @post("/{provider:str}/token", status_code=200)
    async def token(
        self, request: Request[Any, Any, Any], db: Database, provider: str, data: CodeExchange
    ) -> Response[TokenPair]:
        """For clients that ran the browser step themselves: exchange their code for a TokenPair."""
        _enabled(request, provider)
        settings = _settings(request)
        if not allowed(data.redirect_uri, settings.redirect_allowlist):
            raise with_code(ClientException("redirect_uri is not an allowed destination"), "auth.redirect_not_allowed")
        try:
            identity = await providers.exchange(
                settings, provider, data.code, data.redirect_uri, data.code_verifier, data.nonce
            )
        except providers.ProviderError as exc:
            raise with_code(ClientException(f"sign-in with {provider} failed: {exc}"), "auth.provider_failed") from None
        return token_response(settings, await _sign_in(request, db, identity))


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[answers.Scope], msgspec.Meta(min_length=1)]


class ApiKeysController(Controller):
    path = "/api/v1/admin/api-keys"
    tags = ["admin"]
    guards = [requires_admin]

    @post("/", status_code=201, responses=documented(answers.ApiKeyCreated, "The key, shown this once", 201))
    async def create_key(self, request: Request[Any, Any, Any], db: Database, data: ApiKeyCreate) -> Document:
        settings = request.app.state.settings
        return await api_keys.create(db, settings, data.name, list(data.scopes), request.user.user_id)

    @get("/", responses=documented(list[answers.ApiKey], "Every key, newest first, never a secret"))
    async def list_keys(self, db: Database) -> list[Document]:
        return await calls.api_keys_list(db)

    @delete("/{key_id:uuid}", status_code=204)
    async def revoke(self, request: Request[Any, Any, Any], db: Database, key_id: uuid.UUID) -> None:
        await calls.api_key_revoke(db, key_id)
        request.app.state.api_keys.forget(key_id)
