"""A signed-in user links Discord to their account (OAuth while signed in); a Discord account
belongs to one xpcore account. And the README's Discord award example works on `seed demo`."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import msgspec

from src.settings import OAuthProvider
from tests.api.test_oauth import REDIRECT_TO, providers
from tests.fakes import oauth_providers
from tests.fixtures.auth import signed_in


def _discord(base: str) -> OAuthProvider:
    return OAuthProvider(
        client_id="dc",
        client_secret="dcs",
        authorize_url=f"{base}/oauth2/authorize",
        token_url=f"{base}/api/oauth2/token",
        api_url=f"{base}/api",
    )


def _me(discord_id: str) -> dict:
    return {"id": discord_id, "username": f"d{discord_id[-6:]}", "email": None, "verified": False, "avatar": None}


async def _browser(client, someone) -> None:
    """The user's browser: signed in with cookies."""
    client.cookies.clear()
    login = await client.post("/api/v1/auth/refresh", json={"refresh_token": someone["refresh_token"]})
    client.cookies.clear()
    client.cookies.update(dict(login.cookies.items()))


async def _link(client) -> tuple[int, str]:
    start = await client.get(f"/api/v1/auth/discord/link?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False)
    if start.status_code != 302:
        return start.status_code, start.text
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    done = await client.get(
        f"/api/v1/auth/discord/callback?code={oauth_providers.CODE}&state={state}", follow_redirects=False
    )
    return done.status_code, done.text


async def test_a_signed_in_user_links_discord(client, app, db) -> None:
    me = await signed_in(db, app)
    discord_id = str(uuid.uuid4().int % 10**17)
    with oauth_providers.discord(_me(discord_id)) as base, providers(app, discord=_discord(base)):
        await _browser(client, me)
        status, text = await _link(client)
        assert status == 302, text
        profile = (await client.get("/api/v1/users/me")).json()
        assert profile["id"] == me["id"] and profile["discord_id"] == discord_id
        assert (await _link(client))[0] == 302  # linking again is a no-op
    client.cookies.clear()


async def test_a_discord_account_links_to_one_user_only(client, app, db) -> None:
    owner, other = await signed_in(db, app), await signed_in(db, app)
    discord_id = str(uuid.uuid4().int % 10**17)
    with oauth_providers.discord(_me(discord_id)) as base, providers(app, discord=_discord(base)):
        await _browser(client, owner)
        assert (await _link(client))[0] == 302
        await _browser(client, other)
        status, text = await _link(client)
        assert status == 409, text
    assert (await client.get("/api/v1/users/me")).json()["discord_id"] is None
    client.cookies.clear()


async def test_linking_needs_a_signed_in_user(client, app) -> None:
    with oauth_providers.discord(_me("1")) as base, providers(app, discord=_discord(base)):
        client.cookies.clear()
        assert (await _link(client))[0] == 401


async def test_the_readme_discord_award_example_works_on_seed_demo(client, db, api_key_factory) -> None:
    from src.commands.seed import seed_demo_users

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    body = re.search(r"-d '(\{\"user\":\{\"discord_id\".*?\})'", readme)
    assert body, "the README's award example"
    payload = msgspec.json.decode(body.group(1))
    payload["idempotency_key"] = f"readme-{uuid.uuid4().hex}"  # the README's key, once per run
    await seed_demo_users(db)
    await seed_demo_users(db)  # idempotent
    key = await api_key_factory("xp:write")
    client.cookies.clear()
    answer = await client.post("/api/v1/xp/events", json=payload, headers=key)
    assert answer.status_code in (200, 201), answer.text
