"""OAuth sign-in with Google, GitHub and Discord (api.md Auth).

Server-side flow: /authorize keeps state, PKCE verifier and redirect_to in Redis (10 minutes,
single use) and sends the browser to the provider; /callback checks the state, exchanges the
code, signs the user in with cookies and sends the browser to the allow-listed redirect_to.
Clients that run the browser step themselves post the code to /token for a TokenPair.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any

import msgspec
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect

from src.auth.cookies import set_auth_cookies
from src.auth.redirects import allowed
from src.auth.session import TokenPair, start_session, token_response
from src.integrations import oauth
from src.sql import auth as sql

STATE_TTL_S = 600
Provider = Annotated[str, msgspec.Meta(pattern=r"^(google|github|discord)$")]


class CodeExchange(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    redirect_uri: Annotated[str, msgspec.Meta(max_length=2048)]
    code_verifier: Annotated[str, msgspec.Meta(min_length=43, max_length=128)] | None = None


def _settings(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.settings


def _enabled(request: Request[Any, Any, Any], provider: str) -> None:
    if provider not in oauth.PROVIDERS or not oauth.enabled(_settings(request), provider):
        raise NotFoundException(f"sign-in with {provider} is not enabled on this server")


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


class OAuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @get("/{provider:str}/authorize", status_code=302)
    async def authorize(self, request: Request[Any, Any, Any], provider: str, redirect_to: str) -> Redirect:
        """Start the provider's sign-in; state and PKCE are kept server-side."""
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
        record = json.dumps({"provider": provider, "verifier": verifier, "redirect_to": redirect_to})
        await request.app.state.redis.set(f"{settings.redis.key_prefix}:oauth:{state}", record, ex=STATE_TTL_S)
        return Redirect(url, status_code=302)

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
        if error or not code:
            raise ClientException(f"the provider did not authorize the sign-in: {error or 'no code'}")
        try:
            identity = await oauth.exchange(
                settings, provider, code, _callback_uri(request, provider), record["verifier"]
            )
        except oauth.ProviderError as exc:
            raise ClientException(f"sign-in with {provider} failed: {exc}") from None
        pair = await _sign_in(request, identity)
        redirect = Redirect(record["redirect_to"], status_code=302)
        return set_auth_cookies(redirect, settings, pair.access_token, pair.refresh_token)

    @post("/{provider:str}/token", status_code=200)
    async def token(self, request: Request[Any, Any, Any], provider: str, data: CodeExchange) -> Response[TokenPair]:
        """For clients that ran the browser step themselves: exchange their code for a TokenPair."""
        _enabled(request, provider)
        settings = _settings(request)
        if not allowed(data.redirect_uri, settings.redirect_allowlist):
            raise ClientException("redirect_uri is not an allowed destination")
        try:
            identity = await oauth.exchange(settings, provider, data.code, data.redirect_uri, data.code_verifier)
        except oauth.ProviderError as exc:
            raise ClientException(f"sign-in with {provider} failed: {exc}") from None
        return token_response(settings, await _sign_in(request, identity))
