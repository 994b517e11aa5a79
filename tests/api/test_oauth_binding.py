"""OAuth login CSRF: the attacker starts a sign-in in their own browser, completes it at the
provider with their own account, and makes the victim's browser open the callback URL. The
state must only complete in the browser that started it."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, quote, urlsplit

from src.settings import OAuthProvider
from tests.api.test_oauth import REDIRECT_TO, providers
from tests.fakes import oauth_providers


def _github(base: str) -> OAuthProvider:
    return OAuthProvider(
        client_id="gh",
        client_secret="ghs",
        authorize_url=f"{base}/login/oauth/authorize",
        token_url=f"{base}/login/oauth/access_token",
        api_url=base,
    )


async def test_attackers_callback_in_the_victims_browser_is_refused(client, app) -> None:
    login = f"atk{uuid.uuid4().hex[:6]}"
    attacker = {"id": int(uuid.uuid4().int % 10**9), "login": login, "name": "Attacker"}
    emails = [{"email": f"{login}@example.com", "primary": True, "verified": True}]
    with oauth_providers.github(attacker, emails) as base, providers(app, github=_github(base)):
        client.cookies.clear()  # the attacker's browser
        start = await client.get(
            f"/api/v1/auth/github/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False
        )
        assert start.status_code == 302
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        callback = f"/api/v1/auth/github/callback?code={oauth_providers.CODE}&state={state}"

        client.cookies.clear()  # the victim's browser opens the attacker's link
        lured = await client.get(callback, follow_redirects=False)
        assert lured.status_code == 400, lured.text
        assert "access_token" not in lured.cookies

        client.cookies.clear()  # a victim who had started a sign-in of their own: another binding
        client.cookies.set("oauth_binding", "victims-own-binding")
        assert (await client.get(callback, follow_redirects=False)).status_code == 400
    client.cookies.clear()


async def test_the_initiating_browser_completes_and_the_binding_is_cleared(client, app) -> None:
    login = f"own{uuid.uuid4().hex[:6]}"
    user = {"id": int(uuid.uuid4().int % 10**9), "login": login, "name": "Owner"}
    emails = [{"email": f"{login}@example.com", "primary": True, "verified": True}]
    with oauth_providers.github(user, emails) as base, providers(app, github=_github(base)):
        client.cookies.clear()
        start = await client.get(
            f"/api/v1/auth/github/authorize?redirect_to={quote(REDIRECT_TO)}", follow_redirects=False
        )
        binding = [c.lower() for c in start.headers.get_list("set-cookie") if c.startswith("oauth_binding=")]
        assert binding and "httponly" in binding[0] and "path=/api/v1/auth" in binding[0]
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        done = await client.get(
            f"/api/v1/auth/github/callback?code={oauth_providers.CODE}&state={state}", follow_redirects=False
        )
        assert done.status_code == 302, done.text
        assert any(
            c.startswith("oauth_binding=") and "max-age=0" in c.lower() for c in done.headers.get_list("set-cookie")
        )
    client.cookies.clear()
