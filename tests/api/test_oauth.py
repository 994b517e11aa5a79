"""OAuth sign-in: Google against oidc-provider-mock, GitHub and Discord against local fakes,
all through authlib's real client."""

from __future__ import annotations

import dataclasses
import uuid
from contextlib import contextmanager
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest

from src.settings import OAuthProvider
from tests.fakes import oauth_providers

REDIRECT_TO = "http://127.0.0.1:3000/welcome"


@contextmanager
def providers(app, **configs):
    real = app.state.settings
    app.state.settings = dataclasses.replace(real, **configs)
    try:
        yield
    finally:
        app.state.settings = real


@pytest.fixture(scope="module")
def oidc():
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def google(oidc: str) -> OAuthProvider:
    return OAuthProvider(
        client_id="xpcore-test", client_secret="s3cret", metadata_url=f"{oidc}/.well-known/openid-configuration"
    )


async def _google_sign_in(client, oidc: str, sub: str, claims: dict) -> httpx.Response:
    assert httpx.put(f"{oidc}/users/{quote(sub)}", json=claims).status_code == 204
    start = await client.get(f"/api/v1/auth/google/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False)
    assert start.status_code == 302, start.text
    authorize_url = start.headers["location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    consent = httpx.post(authorize_url, data={"sub": sub})  # the user's browser at the provider
    assert consent.status_code == 302
    back = urlsplit(consent.headers["location"])
    return await client.get(f"{back.path}?{back.query}", follow_redirects=False)


async def test_google_sign_in_end_to_end(client, app, oidc) -> None:
    client.cookies.clear()
    email = f"g-{uuid.uuid4().hex[:8]}@example.com"
    with providers(app, google=google(oidc)):
        done = await _google_sign_in(
            client, oidc, f"sub-{uuid.uuid4().hex[:8]}", {"email": email, "email_verified": True, "name": "Grace G."}
        )
    assert done.status_code == 302 and done.headers["location"] == REDIRECT_TO
    assert {"access_token", "refresh_token", "csrf_token"} <= set(done.cookies.keys())
    client.cookies.update(dict(done.cookies.items()))
    me = await client.get("/api/v1/users/me")
    assert me.status_code == 200 and me.json()["email"] == email and me.json()["display_name"] == "Grace G."
    client.cookies.clear()


async def test_state_mismatch_is_400(client, app, oidc) -> None:
    client.cookies.clear()
    with providers(app, google=google(oidc)):
        await client.get(f"/api/v1/auth/google/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False)
        bad = await client.get("/api/v1/auth/google/callback?code=whatever&state=forged", follow_redirects=False)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_state_is_single_use(client, app, oidc) -> None:
    client.cookies.clear()
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    with providers(app, google=google(oidc)):
        assert httpx.put(f"{oidc}/users/{quote(sub)}", json={"email": f"{sub}@example.com"}).status_code == 204
        start = await client.get(
            f"/api/v1/auth/google/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False
        )
        consent = httpx.post(start.headers["location"], data={"sub": sub})
        back = urlsplit(consent.headers["location"])
        assert (await client.get(f"{back.path}?{back.query}", follow_redirects=False)).status_code == 302
        assert (await client.get(f"{back.path}?{back.query}", follow_redirects=False)).status_code == 400
    client.cookies.clear()


async def test_unverified_email_does_not_link_to_an_existing_account(client, app, oidc, db) -> None:
    client.cookies.clear()
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    victim_id = await db.fetchval(
        "insert into app.users (username, email) values ($1, $2) returning id", f"v{uuid.uuid4().hex[:10]}", victim
    )
    with providers(app, google=google(oidc)):
        done = await _google_sign_in(
            client, oidc, f"sub-{uuid.uuid4().hex[:8]}", {"email": victim, "email_verified": False}
        )
    assert done.status_code == 302
    client.cookies.update(dict(done.cookies.items()))
    me = (await client.get("/api/v1/users/me")).json()
    assert me["id"] != str(victim_id) and me["email"] is None
    client.cookies.clear()
    # the same address, verified by the provider, does link
    with providers(app, google=google(oidc)):
        linked = await _google_sign_in(
            client, oidc, f"sub-{uuid.uuid4().hex[:8]}", {"email": victim, "email_verified": True}
        )
    client.cookies.update(dict(linked.cookies.items()))
    assert (await client.get("/api/v1/users/me")).json()["id"] == str(victim_id)
    client.cookies.clear()


async def test_redirect_to_must_be_allow_listed(client, app, oidc) -> None:
    client.cookies.clear()
    with providers(app, google=google(oidc)):
        for target in ("https://evil.example/", "http://127.0.0.1@evil.example/", "javascript:alert(1)"):
            answer = await client.get(
                f"/api/v1/auth/google/authorize?redirect_to={quote(target)}", follow_redirects=False
            )
            assert answer.status_code == 400, target


async def test_unconfigured_provider_is_404(client) -> None:
    answer = await client.get(f"/api/v1/auth/github/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False)
    assert answer.status_code == 404


async def _server_side(client, provider: str, code: str) -> httpx.Response:
    start = await client.get(
        f"/api/v1/auth/{provider}/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False
    )
    assert start.status_code == 302
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    return await client.get(f"/api/v1/auth/{provider}/callback?code={code}&state={state}", follow_redirects=False)


async def test_github_sign_in_uses_the_primary_verified_email(client, app) -> None:
    client.cookies.clear()
    login = f"octo{uuid.uuid4().hex[:6]}"
    email = f"{login}@example.com"
    user = {"id": int(uuid.uuid4().int % 10**9), "login": login, "name": "Octo Cat", "avatar_url": "https://a/x.png"}
    emails = [
        {"email": "old@example.com", "primary": False, "verified": True},
        {"email": email, "primary": True, "verified": True},
    ]
    with oauth_providers.github(user, emails) as base:
        conf = OAuthProvider(
            client_id="gh",
            client_secret="ghs",
            authorize_url=f"{base}/login/oauth/authorize",
            token_url=f"{base}/login/oauth/access_token",
            api_url=base,
        )
        with providers(app, github=conf):
            done = await _server_side(client, "github", oauth_providers.CODE)
            assert done.status_code == 302, done.text
            client.cookies.update(dict(done.cookies.items()))
            me = (await client.get("/api/v1/users/me")).json()
            assert me["username"] == login and me["email"] == email
            client.cookies.clear()
            refused = await _server_side(client, "github", "wrong-code")
            assert refused.status_code == 400


async def test_discord_sign_in_sets_discord_id_and_token_exchange(client, app) -> None:
    client.cookies.clear()
    discord_id = str(uuid.uuid4().int % 10**17)
    me_payload = {
        "id": discord_id,
        "username": f"disc{discord_id[-5:]}",
        "global_name": "Disco",
        "email": f"{discord_id}@example.com",
        "verified": True,
        "avatar": None,
    }
    with oauth_providers.discord(me_payload) as base:
        conf = OAuthProvider(
            client_id="dc",
            client_secret="dcs",
            authorize_url=f"{base}/oauth2/authorize",
            token_url=f"{base}/api/oauth2/token",
            api_url=f"{base}/api",
        )
        with providers(app, discord=conf):
            done = await _server_side(client, "discord", oauth_providers.CODE)
            assert done.status_code == 302, done.text
            # the client-side flow: the app ran the browser step and posts its code
            pair = await client.post(
                "/api/v1/auth/discord/token",
                json={
                    "code": oauth_providers.CODE,
                    "redirect_uri": "http://127.0.0.1:3000/cb",
                    "code_verifier": "v" * 43,
                },
            )
            assert pair.status_code == 200, pair.text
            assert pair.json()["user"]["discord_id"] == discord_id
            bad_redirect = await client.post(
                "/api/v1/auth/discord/token",
                json={
                    "code": oauth_providers.CODE,
                    "redirect_uri": "https://evil.example/cb",
                    "code_verifier": "v" * 43,
                },
            )
            assert bad_redirect.status_code == 400
    client.cookies.clear()
