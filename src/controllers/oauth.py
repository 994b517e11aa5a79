"""OAuth sign-in with Google, GitHub and Discord (api.md Auth).

Server-side flow: /authorize keeps state, PKCE verifier and redirect_to in Redis (10 minutes,
single use), binds the state to the browser with a short-lived HttpOnly `oauth_binding` cookie
(only its hash is stored; without it an attacker's own state and code, opened in a victim's
browser, would sign the victim into the attacker's account) and sends the browser to the
provider; /callback checks the state and the binding, exchanges the code, signs the user in
with cookies and sends the browser to the allow-listed redirect_to.
Clients that run the browser step themselves post the code to /token for a TokenPair.
A signed-in user links a provider account with /link (the same flow; the state also names the
user, and the callback must come from that user's browser session): one xpcore account per
provider account, one account of each provider per user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Annotated, Any

import msgspec
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException, NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect

from src.auth.cookies import AUTH_PATH, cookie, set_auth_cookies
from src.auth.redirects import allowed
from src.auth.session import TokenPair, start_session, token_response
from src.guards import requires_user
from src.integrations import oauth
from src.sql import auth as sql

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
    if provider not in oauth.PROVIDERS or not oauth.enabled(_settings(request), provider):
        raise NotFoundException(f"sign-in with {provider} is not enabled on this server")


def _digest(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()


def _callback_uri(request: Request[Any, Any, Any], provider: str) -> str:
    return f"{_settings(request).public_url}/api/v1/auth/{provider}/callback"


async def _sign_in(request: Request[Any, Any, Any], identity: oauth.Identity) -> TokenPair:
    state = request.app.state
    user = await state.db.fetchval(
        sql.OAUTH_LOGIN,
        identity.provider,
        identity.subject,
        identity.email,
        identity.email_verified,
        identity.username_hint,
        identity.display_name,
        identity.avatar_url,
    )
    return await start_session(state.db, state.settings, user)


async def _start(request: Request[Any, Any, Any], provider: str, redirect_to: str, link_user: str | None) -> Redirect:
    """State, PKCE verifier, nonce and redirect_to kept server-side; the state bound to this
    browser (and, for a link, to the signed-in user)."""
    _enabled(request, provider)
    settings = _settings(request)
    if not allowed(redirect_to, settings.redirect_allowlist):
        raise ClientException("redirect_to is not an allowed destination")
    state, verifier, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    where = await oauth.endpoints(settings, provider)
    async with oauth.client(settings, provider, _callback_uri(request, provider)) as client:
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


async def _link(request: Request[Any, Any, Any], link_user: str, identity: oauth.Identity) -> None:
    """The callback of a link: only the user who started it, still signed in, completes it."""
    principal = request.user
    if principal is None or principal.user_id is None:
        raise NotAuthorizedException("sign in again to link this account")
    if str(principal.user_id) != link_user:
        raise ClientException("this link was started by another user; start again")
    answer = await request.app.state.db.fetchval(
        sql.OAUTH_LINK, principal.user_id, identity.provider, identity.subject, identity.email, identity.email_verified
    )
    if answer["status"] != "linked":
        raise Conflict(detail=LINK_REFUSED.get(answer["status"], "the account could not be linked"))


class Conflict(HTTPException):
    status_code = 409


LINK_REFUSED = {
    "taken": "that account is already linked to another user",
    "other": "you already linked another account of this provider",
    "gone": "this account no longer exists",
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
            raise ClientException("unknown or expired sign-in state; start again")
        binding = request.cookies.get(BINDING_COOKIE) or ""
        if not hmac.compare_digest(_digest(binding), record.get("binding", "")):
            raise ClientException("this sign-in was started in another browser; start again")
        if error or not code:
            raise ClientException(f"the provider did not authorize the sign-in: {error or 'no code'}")
        try:
            identity = await oauth.exchange(
                settings, provider, code, _callback_uri(request, provider), record["verifier"], record.get("nonce")
            )
        except oauth.ProviderError as exc:
            raise ClientException(f"sign-in with {provider} failed: {exc}") from None
        redirect = Redirect(record["redirect_to"], status_code=302)
        redirect.set_cookie(cookie(settings, BINDING_COOKIE, "", 0, path=AUTH_PATH))
        if record.get("link_user"):
            await _link(request, record["link_user"], identity)
            return redirect
        pair = await _sign_in(request, identity)
        return set_auth_cookies(redirect, settings, pair.access_token, pair.refresh_token)

    @post("/{provider:str}/token", status_code=200)
    async def token(self, request: Request[Any, Any, Any], provider: str, data: CodeExchange) -> Response[TokenPair]:
        """For clients that ran the browser step themselves: exchange their code for a TokenPair."""
        _enabled(request, provider)
        settings = _settings(request)
        if not allowed(data.redirect_uri, settings.redirect_allowlist):
            raise ClientException("redirect_uri is not an allowed destination")
        try:
            identity = await oauth.exchange(
                settings, provider, data.code, data.redirect_uri, data.code_verifier, data.nonce
            )
        except oauth.ProviderError as exc:
            raise ClientException(f"sign-in with {provider} failed: {exc}") from None
        return token_response(settings, await _sign_in(request, identity))
