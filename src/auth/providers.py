"""OAuth providers through authlib's httpx client: Google (OpenID Connect, endpoints from its
discovery document; the ID token is validated: signature from the JWKS, iss, aud, exp and the
nonce of this sign-in), GitHub and Discord (OAuth 2). Every endpoint is overridable in settings,
so tests point the real client at local fakes. Provider tokens are used once to read the
identity and never stored."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken
from joserfc.errors import JoseError as JoseRfcError  # authlib's OIDC claims raise these now

from src.settings import OAuthProvider, Settings

PROVIDERS = ("google", "github", "discord")
SCOPES = {"google": "openid email profile", "github": "read:user user:email", "discord": "identify email"}
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks: dict[str, tuple[float, dict[str, Any]]] = {}
_ID_TOKEN = JsonWebToken(["RS256", "ES256"])  # never "none", never HMAC with a public key
LEEWAY_S = 60


class ProviderError(Exception):
    """The provider refused, or answered something we cannot use."""


@dataclass(frozen=True)
class Identity:
    provider: str
    subject: str
    email: str | None
    email_verified: bool
    username_hint: str | None
    display_name: str | None
    avatar_url: str | None


@dataclass(frozen=True)
class Endpoints:
    authorize: str
    token: str
    userinfo: str | None = None
    issuer: str | None = None
    jwks_uri: str | None = None


def config(settings: Settings, provider: str) -> OAuthProvider:
    return {"google": settings.google, "github": settings.github, "discord": settings.discord}[provider]


def enabled(settings: Settings, provider: str) -> bool:
    conf = config(settings, provider)
    return bool(conf.client_id and conf.client_secret)


def client(settings: Settings, provider: str, redirect_uri: str) -> AsyncOAuth2Client:
    conf = config(settings, provider)
    return AsyncOAuth2Client(
        client_id=conf.client_id,
        client_secret=conf.client_secret,
        scope=SCOPES[provider],
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=10,
    )


async def endpoints(settings: Settings, provider: str) -> Endpoints:
    conf = config(settings, provider)
    if provider != "google":
        assert conf.authorize_url and conf.token_url
        return Endpoints(authorize=conf.authorize_url, token=conf.token_url)
    assert conf.metadata_url
    cached = _discovery.get(conf.metadata_url)
    if cached is None or cached[0] < time.monotonic():
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(conf.metadata_url)
        if response.status_code != 200:
            raise ProviderError(f"discovery document answered {response.status_code}")
        cached = (time.monotonic() + 3600, response.json())
        _discovery[conf.metadata_url] = cached
    meta = cached[1]
    return Endpoints(
        authorize=meta["authorization_endpoint"],
        token=meta["token_endpoint"],
        userinfo=meta["userinfo_endpoint"],
        issuer=meta["issuer"],
        jwks_uri=meta["jwks_uri"],
    )


async def _key_set(url: str, *, fresh: bool = False) -> Any:
    cached = _jwks.get(url)
    if fresh or cached is None or cached[0] < time.monotonic():
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url)
        if response.status_code != 200:
            raise ProviderError(f"JWKS answered {response.status_code}")
        cached = (time.monotonic() + 3600, response.json())
        _jwks[url] = cached
    return JsonWebKey.import_key_set(cached[1])


async def id_token_claims(
    settings: Settings, where: Endpoints, id_token: str, nonce: str | None, access_token: str | None
) -> dict[str, Any]:
    """The claims of a Google ID token, or ProviderError: signed by a key of the provider's
    JWKS (refetched once for an unknown kid, as after a key rotation), issued by the discovered
    issuer to our client id, not expired, and carrying this sign-in's nonce when one was sent."""
    assert where.jwks_uri and where.issuer
    params = {"client_id": config(settings, "google").client_id, "nonce": nonce, "access_token": access_token}
    options = {"iss": {"essential": True, "value": where.issuer}, "aud": {"essential": True}}
    for fresh in (False, True):
        try:
            keys = await _key_set(where.jwks_uri, fresh=fresh)
            claims = _ID_TOKEN.decode(
                id_token, keys, claims_cls=CodeIDToken, claims_options=options, claims_params=params
            )
            break
        except ValueError:  # no key with that kid: the provider may have rotated its keys
            if fresh:
                raise ProviderError("ID token signed by an unknown key") from None
        except (JoseError, JoseRfcError) as exc:
            raise ProviderError(f"ID token rejected: {exc.error}") from None
    try:
        claims.validate(leeway=LEEWAY_S)
    except (JoseError, JoseRfcError) as exc:
        raise ProviderError(f"ID token rejected: {exc.error} {exc.description or ''}".strip()) from None
    return dict(claims)


async def exchange(
    settings: Settings,
    provider: str,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    nonce: str | None = None,
) -> Identity:
    """Trade an authorization code for the provider's identity of the user."""
    where = await endpoints(settings, provider)
    async with client(settings, provider, redirect_uri) as oauth:
        try:
            token = await oauth.fetch_token(where.token, code=code, code_verifier=code_verifier)
        except Exception as exc:  # authlib raises OAuthError and friends
            raise ProviderError(f"code exchange failed: {type(exc).__name__}") from exc
        if "access_token" not in token:
            raise ProviderError("the provider returned no access token")
        if provider == "google":
            if not token.get("id_token"):
                raise ProviderError("the provider returned no ID token")
            claims = await id_token_claims(settings, where, token["id_token"], nonce, token.get("access_token"))
            return await _google(oauth, where, claims)
        if provider == "github":
            return await _github(oauth, config(settings, provider).api_url or "")
        return await _discord(oauth, config(settings, provider).api_url or "")


async def _json(oauth: AsyncOAuth2Client, url: str) -> Any:
    response = await oauth.get(url, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise ProviderError(f"{url} answered {response.status_code}")
    return response.json()


async def _google(oauth: AsyncOAuth2Client, where: Endpoints, claims: dict[str, Any]) -> Identity:
    """The ID token says who; userinfo only adds profile fields, for the same subject."""
    assert where.userinfo
    profile = await _json(oauth, where.userinfo)
    if str(profile.get("sub")) != str(claims["sub"]):
        raise ProviderError("userinfo is about another subject than the ID token")
    info = {**profile, **claims}
    return Identity(
        provider="google",
        subject=str(info["sub"]),
        email=info.get("email"),
        email_verified=info.get("email_verified") is True,
        username_hint=(info.get("email") or "").split("@")[0] or info.get("given_name"),
        display_name=info.get("name"),
        avatar_url=info.get("picture"),
    )


async def _github(oauth: AsyncOAuth2Client, api: str) -> Identity:
    user = await _json(oauth, f"{api.rstrip('/')}/user")
    emails = await _json(oauth, f"{api.rstrip('/')}/user/emails")
    primary = next((e for e in emails if e.get("primary")), None) or (emails[0] if emails else None)
    return Identity(
        provider="github",
        subject=str(user["id"]),
        email=primary.get("email") if primary else None,
        email_verified=bool(primary and primary.get("verified") is True),
        username_hint=user.get("login"),
        display_name=user.get("name"),
        avatar_url=user.get("avatar_url"),
    )


async def _discord(oauth: AsyncOAuth2Client, api: str) -> Identity:
    me = await _json(oauth, f"{api.rstrip('/')}/users/@me")
    avatar = me.get("avatar")
    return Identity(
        provider="discord",
        subject=str(me["id"]),
        email=me.get("email"),
        email_verified=me.get("verified") is True,
        username_hint=me.get("username"),
        display_name=me.get("global_name") or me.get("username"),
        avatar_url=f"https://cdn.discordapp.com/avatars/{me['id']}/{avatar}.png" if avatar else None,
    )
