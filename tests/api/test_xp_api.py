"""XP over HTTP: trusted services award, users only self-report on themselves."""

from __future__ import annotations

import uuid


def _event(user_id, activity="run_km", units=2, key=None, **extra) -> dict:
    return {
        "user": {"id": str(user_id)},
        "activity": activity,
        "units": units,
        "idempotency_key": key or uuid.uuid4().hex,
        **extra,
    }


async def test_bot_awards_with_an_api_key_and_replays_answer_200(client, user, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    body = _event(user["id"], key="run-1")
    first = await client.post("/api/v1/xp/events", json=body, headers=bot)
    assert first.status_code == 201, first.text
    award = first.json()
    assert award["xp_awarded"] == 600 and award["total_xp"] == 600 and award["level"] == 3
    assert award["modes"]["reality"]["layer"] == "RL0" and award["season_xp"] == 600 and not award["capped"]
    again = await client.post("/api/v1/xp/events", json=body, headers=bot)
    assert again.status_code == 200 and again.json()["event_id"] == award["event_id"] and again.json()["replayed"]


async def test_discord_id_addresses_the_user(client, user, db, api_key_factory) -> None:
    client.cookies.clear()
    discord_id = str(uuid.uuid4().int)[:18]
    await db.execute("update app.users set discord_id = $1 where id = $2", discord_id, user["id"])
    bot = await api_key_factory("xp:write")
    answer = await client.post(
        "/api/v1/xp/events",
        json={"user": {"discord_id": discord_id}, "activity": "code_review", "units": 1, "idempotency_key": "d1"},
        headers=bot,
    )
    assert answer.status_code == 201 and answer.json()["user_id"] == str(user["id"])


async def test_users_cannot_mint_xp(client, user, db) -> None:
    """The defect of the original system: anyone could award anyone anything."""
    client.cookies.clear()
    victim = await db.fetchval("insert into app.users (username) values ($1) returning id", f"v{uuid.uuid4().hex[:10]}")
    for_other = await client.post("/api/v1/xp/events", json=_event(victim, "pushup_standard"), headers=user["headers"])
    assert for_other.status_code == 403
    not_self_report = await client.post("/api/v1/xp/events", json=_event(user["id"], "run_km"), headers=user["headers"])
    assert not_self_report.status_code == 403
    anonymous = await client.post("/api/v1/xp/events", json=_event(user["id"], "pushup_standard"))
    assert anonymous.status_code == 401
    assert (
        await db.fetchval("select count(*) from xp.ledger where user_id = any($1::uuid[])", [victim, user["id"]]) == 0
    )
    own = await client.post(
        "/api/v1/xp/events", json=_event(user["id"], "pushup_standard", 10), headers=user["headers"]
    )
    assert own.status_code == 201 and own.json()["xp_awarded"] == 20


async def test_a_key_without_xp_write_cannot_award(client, user, api_key_factory) -> None:
    client.cookies.clear()
    reader = await api_key_factory("users:read")
    answer = await client.post("/api/v1/xp/events", json=_event(user["id"]), headers=reader)
    assert answer.status_code == 403


async def test_bad_events_are_clear_4xx(client, user, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    cases = {
        "unknown activity": (_event(user["id"], "teleport"), 404),
        "unknown user": (_event(uuid.uuid4()), 404),
        "zero units": (_event(user["id"], units=0), 422),
        "negative units": (_event(user["id"], units=-5), 422),
        "NaN units": (_event(user["id"], units="NaN"), 422),
        "huge units": (_event(user["id"], units=10**30), 422),
        "future": (_event(user["id"], occurred_at="2999-01-01T00:00:00Z"), 422),
        "no user": ({"activity": "run_km", "units": 1, "idempotency_key": "x", "user": {}}, 400),
        "missing key": ({"user": {"id": str(user["id"])}, "activity": "run_km", "units": 1}, 400),
    }
    results = {}
    for name, (body, _) in cases.items():
        response = await client.post("/api/v1/xp/events", json=body, headers=bot)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        results[name] = response.status_code
    assert results == {name: status for name, (_, status) in cases.items()}
    profile = await client.get("/api/v1/users/me/profile", headers=user["headers"])
    assert profile.json()["total_xp"] == 0


async def test_profile_events_levels_layers_activities(client, user, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    for n in range(3):
        await client.post("/api/v1/xp/events", json=_event(user["id"], "code_review", 2, f"p{n}"), headers=bot)
    profile = (await client.get("/api/v1/users/me/profile", headers=user["headers"])).json()
    assert profile["total_xp"] == 240 and profile["level"] == 1
    assert profile["level_progress"] == {"level_xp": 0, "next_level_xp": 282, "xp_into_level": 240, "xp_to_next": 42}
    assert profile["modes"]["cyber"] == {"xp": 240, "level": 1, "layer": "CL0"}
    assert profile["season"]["cyber"]["xp"] == 240 and profile["season"]["cyber"]["rank"] >= 1
    assert (profile["season"]["reality"]["xp"], profile["season"]["reality"]["rank"]) == (0, None)
    page = (await client.get("/api/v1/users/me/xp?limit=2", headers=user["headers"])).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (
        await client.get(f"/api/v1/users/me/xp?limit=2&cursor={page['next_cursor']}", headers=user["headers"])
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    levels = (await client.get("/api/v1/levels")).json()
    assert levels[:3] == [
        {"level": 1, "xp_required": 0},
        {"level": 2, "xp_required": 282},
        {"level": 3, "xp_required": 519},
    ]
    layers = (await client.get("/api/v1/layers")).json()
    assert {layer["code"] for layer in layers} == {"RL0", "RL1", "RL2", "RL3", "RLX", "CL0", "CL1", "CL2", "CL3", "CLX"}
    activities = (await client.get("/api/v1/activities")).json()
    assert len(activities) >= 40
    public = (await client.get(f"/api/v1/users/{user['username']}")).json()
    assert public["level"] == 1 and public["layers"] == {"reality": "RL0", "cyber": "CL0"}


async def test_admin_adjustments_and_activity_management(client, user, admin) -> None:
    client.cookies.clear()
    denied = await client.post(
        "/api/v1/admin/xp/adjustments",
        json={"user_id": str(user["id"]), "xp": 100, "reason": "bonus"},
        headers=user["headers"],
    )
    assert denied.status_code == 403
    bonus = await client.post(
        "/api/v1/admin/xp/adjustments",
        json={"user_id": str(user["id"]), "xp": 100, "reason": "event bonus"},
        headers=admin["headers"],
    )
    assert bonus.status_code == 201 and bonus.json()["total_xp"] == 100
    too_much = await client.post(
        "/api/v1/admin/xp/adjustments",
        json={"user_id": str(user["id"]), "xp": -500, "reason": "oops"},
        headers=admin["headers"],
    )
    assert too_much.status_code == 422
    key = f"kettlebell_{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/v1/admin/activities",
        headers=admin["headers"],
        json={
            "key": key,
            "name": "Kettlebell swings",
            "unit": "rep",
            "xp_per_unit": 1.5,
            "mode": "reality",
            "daily_cap_units": 500,
            "self_report": True,
        },
    )
    assert created.status_code == 201, created.text
    dup = await client.post(
        "/api/v1/admin/activities",
        headers=admin["headers"],
        json={"key": key, "name": "again", "unit": "rep", "xp_per_unit": 1, "mode": "reality"},
    )
    assert dup.status_code == 409
    changed = await client.patch(f"/api/v1/admin/activities/{key}", json={"active": False}, headers=admin["headers"])
    assert changed.status_code == 200 and changed.json()["active"] is False
    gone = await client.post("/api/v1/xp/events", json=_event(user["id"], key, 10), headers=user["headers"])
    assert gone.status_code == 404
    assert (
        await client.patch("/api/v1/admin/activities/nope", json={"active": False}, headers=admin["headers"])
    ).status_code == 404


async def test_awards_go_on_while_redis_is_down(client, app, user, api_key_factory) -> None:
    from redis.asyncio import Redis

    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    real = app.state.redis
    app.state.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        answer = await client.post("/api/v1/xp/events", json=_event(user["id"], "code_review", 1), headers=bot)
        profile = await client.get("/api/v1/users/me/profile", headers=user["headers"])
    finally:
        await app.state.redis.aclose()
        app.state.redis = real
    assert answer.status_code == 201 and profile.status_code == 200


async def test_two_api_keys_with_one_idempotency_key_both_book(client, user, db, api_key_factory) -> None:
    """Keys are scoped to the calling API key: one service's key never replays another's award."""
    client.cookies.clear()
    bot, judge = await api_key_factory("xp:write"), await api_key_factory("xp:write")
    first = await client.post("/api/v1/xp/events", json=_event(user["id"], "run_km", 2, key="msg-1"), headers=bot)
    second = await client.post(
        "/api/v1/xp/events", json=_event(user["id"], "code_review", 1, key="msg-1"), headers=judge
    )
    assert first.status_code == 201 and second.status_code == 201, second.text
    assert second.json()["event_id"] != first.json()["event_id"] and not second.json()["replayed"]
    assert await db.fetchval("select count(*) from xp.ledger where user_id = $1", user["id"]) == 2
    assert second.json()["total_xp"] == first.json()["xp_awarded"] + second.json()["xp_awarded"]


async def test_same_key_with_a_different_request_is_409_and_books_nothing(client, user, db, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    body = _event(user["id"], "run_km", 2, key="k-1", occurred_at="2026-12-01T10:00:00Z", metadata={"a": 1, "b": 2})
    assert (await client.post("/api/v1/xp/events", json=body, headers=bot)).status_code == 201
    for change in (
        {"units": 3},
        {"activity": "code_review"},
        {"occurred_at": "2026-12-01T10:00:01Z"},
        {"occurred_at": None},
        {"metadata": {"a": 1}},
    ):
        reused = await client.post("/api/v1/xp/events", json={**body, **change}, headers=bot)
        assert reused.status_code == 409, (change, reused.text)
        assert "was already used for a different request" in reused.json()["detail"]
    # The same request, written differently (units 2.0, another offset, key order): a replay.
    same = {
        **body,
        "units": "2.0",
        "occurred_at": "2026-12-01T11:00:00+01:00",
        "metadata": {"b": 2, "a": 1},
    }
    replay = await client.post("/api/v1/xp/events", json=same, headers=bot)
    assert replay.status_code == 200 and replay.json()["replayed"], replay.text
    assert await db.fetchval("select count(*) from xp.ledger where user_id = $1", user["id"]) == 1
    assert await db.fetchval("select total_xp from xp.totals where user_id = $1", user["id"]) == 600


async def test_concurrent_reuse_of_one_key_books_once(client, user, db, api_key_factory) -> None:
    """Many connections, one key, two different requests: exactly one books; the same request
    replays (200), the other one is refused (409)."""
    import asyncio

    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    request_a = _event(user["id"], "run_km", 2, key="race")
    request_b = _event(user["id"], "run_km", 3, key="race")
    requests = [request_a if i % 2 else request_b for i in range(24)]
    answers = await asyncio.gather(*(client.post("/api/v1/xp/events", json=r, headers=bot) for r in requests))
    booked = [a for a in answers if a.status_code == 201]
    assert len(booked) == 1, [a.status_code for a in answers]
    winner = requests[answers.index(booked[0])]
    for request, answer in zip(requests, answers, strict=True):
        if answer is booked[0]:
            continue
        if request["units"] == winner["units"]:
            assert answer.status_code == 200 and answer.json()["event_id"] == booked[0].json()["event_id"]
        else:
            assert answer.status_code == 409, answer.text
    assert await db.fetchval("select count(*) from xp.ledger where user_id = $1", user["id"]) == 1


async def test_reuse_of_one_key_over_many_connections_books_once(db_pool, user, db) -> None:
    """The same race below the batcher: 16 connections, each its own xp.award_events call."""
    import asyncio

    api_key = uuid.uuid4()
    statement = "select * from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8, $9)"

    async def one(units: int) -> str:
        async with db_pool.acquire() as connection:
            (row,) = await connection.fetch(
                statement, [user["id"]], [None], ["run_km"], [units], ["wire"], [None], ["{}"], [None], [api_key]
            )
        if row["error_code"] is None:
            return "replayed" if row["replayed"] else "booked"
        assert row["error_code"] == "XP409" and "different request" in row["body"], row["body"]
        return "conflict"

    results = await asyncio.gather(*(one(1 + i % 2) for i in range(16)))
    assert results.count("booked") == 1 and results.count("replayed") == 7 and results.count("conflict") == 8
    assert await db.fetchval("select count(*) from xp.ledger where user_id = $1", user["id"]) == 1
