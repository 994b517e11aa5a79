"""Seasons and leaderboards over HTTP, including the originals' /api/seasons/reality|cyber jobs."""

from __future__ import annotations

import uuid


async def test_seasons_and_current(client) -> None:
    seasons = (await client.get("/api/v1/seasons")).json()
    current = (await client.get("/api/v1/seasons/current")).json()
    assert current["status"] == "active" and current["id"] in [s["id"] for s in seasons]
    assert set(current) >= {"id", "starts_at", "ends_at", "status"}
    assert (await client.get("/api/v1/seasons/1999-01")).status_code == 404
    assert (await client.get("/api/v1/seasons/nonsense")).status_code == 400


async def test_current_reality_and_cyber_boards_answer_what_the_originals_did(client, user, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    for activity, units in (("run_km", 1), ("code_review", 1)):
        await client.post(
            "/api/v1/xp/events",
            headers=bot,
            json={
                "user": {"id": str(user["id"])},
                "activity": activity,
                "units": units,
                "idempotency_key": uuid.uuid4().hex,
            },
        )
    for mode in ("reality", "cyber"):
        board = await client.get(f"/api/v1/seasons/current/leaderboards/{mode}?limit=100")
        assert board.status_code == 200
        body = board.json()
        assert body["mode"] == mode and body["generated_at"] and "next_cursor" in body
        mine = [e for e in body["entries"] if e["user"]["id"] == str(user["id"])]
        assert (
            mine
            and mine[0]["xp"] > 0
            and mine[0]["rank"] >= 1
            and set(mine[0]["user"]) == {"id", "username", "display_name", "avatar_url"}
        )
    assert (await client.get("/api/v1/seasons/current/leaderboards/spirit")).status_code == 404


async def test_around_me_needs_a_user_and_all_time_pages(client, user, admin, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    for who in (user, admin):  # at least two users on the all-time board
        await client.post(
            "/api/v1/xp/events",
            headers=bot,
            json={
                "user": {"id": str(who["id"])},
                "activity": "commit",
                "units": 1,
                "idempotency_key": uuid.uuid4().hex,
            },
        )
    assert (await client.get("/api/v1/seasons/current/leaderboards/cyber/me")).status_code == 401
    mine = await client.get("/api/v1/seasons/current/leaderboards/reality/me?around=3", headers=user["headers"])
    assert mine.status_code == 200 and mine.json()["rank"] is None and mine.json()["entries"] == []
    first = (await client.get("/api/v1/leaderboards/all-time?limit=1")).json()
    assert first["entries"][0]["rank"] == 1 and first["next_cursor"]
    assert all(c.isalnum() or c in "-_.~:" for c in first["next_cursor"])  # usable in a URL as is
    second = (await client.get(f"/api/v1/leaderboards/all-time?limit=1&cursor={first['next_cursor']}")).json()
    assert second["entries"][0]["rank"] == 2
    assert second["entries"][0]["xp"] <= first["entries"][0]["xp"]
