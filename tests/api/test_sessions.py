"""Sessions: two tabs refreshing at once stay signed in, reuse after the interval still
revokes the family, users list and end their sessions, and role changes end them all."""

from __future__ import annotations

import asyncio
import uuid

from tests.fixtures.auth import signed_in


async def _refresh(client, token: str):
    client.cookies.clear()
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_two_tabs_refreshing_one_token_both_stay_signed_in(client, user) -> None:
    first, second = await asyncio.gather(
        _refresh(client, user["refresh_token"]), _refresh(client, user["refresh_token"])
    )
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    assert first.json()["refresh_token"] == second.json()["refresh_token"]  # the same new pair
    again = await _refresh(client, first.json()["refresh_token"])
    assert again.status_code == 200, again.text
    client.cookies.clear()


async def test_reuse_after_the_interval_still_revokes_the_family(client, user, db, app) -> None:
    from src.auth.tokens import refresh_hash

    rotated = (await _refresh(client, user["refresh_token"])).json()["refresh_token"]
    await db.execute(
        "update auth.refresh_tokens set used_at = now() - interval '11 seconds' where token_hash = $1",
        refresh_hash(app.state.settings, user["refresh_token"]),
    )
    reuse = await _refresh(client, user["refresh_token"])
    assert reuse.status_code == 401 and "reused" in reuse.json()["detail"]
    assert (await _refresh(client, rotated)).status_code == 401
    client.cookies.clear()


async def test_a_user_lists_and_ends_their_sessions(client, db, app) -> None:
    here = await signed_in(db, app)
    from src.auth.session import start_session

    other = await start_session(
        db,
        app.state.settings,
        {k: here[k] for k in ("id", "username", "email", "roles")}
        | {"display_name": None, "avatar_url": None, "bio": None, "discord_id": None, "timezone": "UTC"}
        | {"created_at": here["created_at"]},
    )
    client.cookies.clear()
    listed = await client.get("/api/v1/users/me/sessions", headers=here["headers"])
    assert listed.status_code == 200, listed.text
    sessions = listed.json()
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    theirs = next(s["id"] for s in sessions if not s["current"])

    stranger = await signed_in(db, app)
    assert (await client.delete(f"/api/v1/users/me/sessions/{theirs}", headers=stranger["headers"])).status_code == 404
    assert (
        await client.delete(f"/api/v1/users/me/sessions/{uuid.uuid4()}", headers=here["headers"])
    ).status_code == 404

    assert (await client.delete(f"/api/v1/users/me/sessions/{theirs}", headers=here["headers"])).status_code == 204
    assert (await _refresh(client, other.refresh_token)).status_code == 401
    assert [s["current"] for s in (await client.get("/api/v1/users/me/sessions", headers=here["headers"])).json()] == [
        True
    ]
    assert (await _refresh(client, here["refresh_token"])).status_code == 200
    client.cookies.clear()


async def test_a_role_change_ends_every_session(client, db, app) -> None:
    member = await signed_in(db, app)
    await db.fetchval("select app.user_grant_role($1, 'admin')", member["email"])  # xpcore users create-admin
    answer = await _refresh(client, member["refresh_token"])
    assert answer.status_code == 401, answer.text
    client.cookies.clear()


async def test_deleting_the_account_ends_every_session(client, db, app) -> None:
    member = await signed_in(db, app)
    assert (await client.delete("/api/v1/users/me", headers=member["headers"])).status_code == 204
    assert (await _refresh(client, member["refresh_token"])).status_code == 401
    client.cookies.clear()
