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


async def test_board_cursors_only_page_the_board_that_issued_them(client, db, user, admin, api_key_factory) -> None:
    """As an attacker would: reuse a genuine reality cursor elsewhere, tamper with it, forge one."""
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    others = [
        await db.fetchval("insert into app.users (username) values ($1) returning id", f"cu{uuid.uuid4().hex[:10]}")
        for _ in range(2)
    ]
    for who in [user["id"], admin["id"], *others]:
        for activity in ("run_km", "code_review"):
            award = {"user": {"id": str(who)}, "activity": activity, "units": 1, "idempotency_key": uuid.uuid4().hex}
            assert (await client.post("/api/v1/xp/events", headers=bot, json=award)).status_code == 201
    season = (await client.get("/api/v1/seasons/current")).json()["id"]
    reality = f"/api/v1/seasons/{season}/leaderboards/reality"
    first = (await client.get(f"{reality}?limit=1")).json()
    cursor = first["next_cursor"]
    assert cursor

    # The genuine cursor pages on, on its own board (also when the season is called `current`).
    two = (await client.get(f"{reality}?limit=2")).json()["entries"]
    for url in (reality, "/api/v1/seasons/current/leaderboards/reality"):
        page = await client.get(url, params={"limit": 1, "cursor": cursor})
        assert page.status_code == 200, page.text
        assert page.json()["entries"] == two[1:2] and page.json()["entries"][0]["rank"] == 2

    # Another board, another season, the all-time board: 400.
    other_season = await db.fetchval("select (xp.season_for(now() - interval '40 days')).id")
    for url in (
        f"/api/v1/seasons/{season}/leaderboards/cyber",
        f"/api/v1/seasons/{other_season}/leaderboards/reality",
        "/api/v1/leaderboards/all-time",
    ):
        answer = await client.get(url, params={"cursor": cursor})
        assert answer.status_code == 400, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")

    # Tampered anywhere (position or mac), forged with a chosen rank, the old unsigned form, garbage: 400.
    position, mac = cursor.rsplit("~", 1)
    rank, rest = position.split("~", 1)
    flipped = [cursor[:i] + ("A" if cursor[i] != "A" else "B") + cursor[i + 1 :] for i in (0, len(cursor) // 2, -1)]
    forged = [f"1000~{rest}~{mac}", f"0~{rest}~{mac}", f"{rank}~{rest}", position, f"{position}~", "garbage", "~~~~"]
    for bad in flipped + forged:
        answer = await client.get(reality, params={"cursor": bad})
        assert answer.status_code == 400, (bad, answer.text)

    # The all-time board's own cursors work there, and nowhere else.
    all_time = (await client.get("/api/v1/leaderboards/all-time?limit=1")).json()["next_cursor"]
    assert (await client.get("/api/v1/leaderboards/all-time", params={"cursor": all_time})).status_code == 200
    assert (await client.get(reality, params={"cursor": all_time})).status_code == 400
