"""CSRF tokens are bound to the session: an attacker who plants their own `csrf_token` cookie
(a sibling subdomain can) and sends the same value in `X-CSRF-Token` gets nothing."""

from __future__ import annotations


async def _browser_session(client, user) -> dict[str, str]:
    client.cookies.clear()
    login = await client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert login.status_code == 200
    return dict(login.cookies.items())


async def test_attacker_chosen_double_submit_token_is_refused(client, user) -> None:
    cookies = await _browser_session(client, user)
    client.cookies.clear()
    client.cookies.update({**cookies, "csrf_token": "attacker-chosen"})
    forged = {"X-CSRF-Token": "attacker-chosen"}
    assert (await client.patch("/api/v1/users/me", json={"bio": "pwned"}, headers=forged)).status_code == 403
    assert (await client.post("/api/v1/auth/refresh", headers=forged)).status_code == 403
    client.cookies.clear()


async def test_another_sessions_token_is_refused(client, user, db, app) -> None:
    from tests.fixtures.auth import signed_in

    attacker = await signed_in(db, app)
    theirs = (await _browser_session(client, attacker))["csrf_token"]
    cookies = await _browser_session(client, user)
    client.cookies.clear()
    client.cookies.update({**cookies, "csrf_token": theirs})
    answer = await client.patch("/api/v1/users/me", json={"bio": "x"}, headers={"X-CSRF-Token": theirs})
    assert answer.status_code == 403
    client.cookies.clear()


async def test_the_sessions_own_token_passes(client, user) -> None:
    cookies = await _browser_session(client, user)
    client.cookies.clear()
    client.cookies.update(cookies)
    own = {"X-CSRF-Token": cookies["csrf_token"]}
    assert (await client.patch("/api/v1/users/me", json={"bio": "mine"}, headers=own)).status_code == 200
    rotated = await client.post("/api/v1/auth/refresh", headers=own)
    assert rotated.status_code == 200
    # the session keeps its token across rotations (same family)
    assert dict(rotated.cookies.items())["csrf_token"] == cookies["csrf_token"]
    client.cookies.clear()
