"""Quests over HTTP: operators define the pool, the caller's quests of the day and week are drawn
on their first read, awards move them (one completion, its XP, coins and notification), and
they expire at the caller's local midnight."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec
import pytest

from src.engagement.answers import MyQuests, QuestDefinition


@pytest.fixture
async def prefix(db) -> AsyncIterator[str]:
    """This test's quests (committed: retired afterwards, so later tests in this database draw
    none of them)."""
    name = f"http-{uuid.uuid4().hex[:6]}"
    try:
        yield name
    finally:
        for row in await db.fetch("select key from engage.quests where key like $1 || '%'", name):
            await db.fetchval("select engage.quest_deactivate($1)", row["key"])


def _pushups(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": "Twenty Push-ups",
        "description": "Do 20 push-ups today.",
        "icon": "arm",
        "period": "daily",
        "mode": "reality",
        "goal": {"kind": "activity_units", "params": {"activity": "pushup_standard"}, "target": 20},
        "reward_xp": 15,
        "reward_coins": 3,
        **extra,
    }


async def test_operators_define_quests_and_awards_complete_them_once(client, admin, user, prefix) -> None:
    client.cookies.clear()
    daily = f"{prefix}-pushups"
    weekly = f"{prefix}-week"
    saved = await client.post("/api/v1/admin/quests", json=_pushups(daily), headers=admin["headers"])
    assert saved.status_code == 201, saved.text
    assert msgspec.convert(saved.json(), QuestDefinition, strict=False).goal.target == 20
    week = {"key": weekly, "name": "Busy Week", "period": "weekly", "goal": {"kind": "total_xp", "target": 1000}}
    assert (await client.post("/api/v1/admin/quests", json=week, headers=admin["headers"])).status_code == 201
    listed = await client.get("/api/v1/admin/quests", headers=admin["headers"])
    assert listed.status_code == 200
    assert {daily, weekly} <= {q.key for q in msgspec.convert(listed.json(), list[QuestDefinition], strict=False)}

    answer = await client.get("/api/v1/users/me/quests", headers=user["headers"])
    assert answer.status_code == 200, answer.text
    mine = msgspec.convert(answer.json(), MyQuests, strict=False)
    assert mine.timezone == "UTC"
    [drawn] = [q for q in mine.daily if q.key == daily]
    assert (drawn.progress, drawn.percent, drawn.completed) == (0, 0, False)
    assert drawn.expires_at.hour == 0 and drawn.expires_at > datetime.now(drawn.expires_at.tzinfo)
    assert [q.key for q in mine.weekly] == [weekly] and mine.weekly[0].period_key.count("-W") == 1

    for n, units in enumerate((12, 12, 12)):  # the second completes it; the third is after
        body = {"user": {"id": user["id"]}, "activity": "pushup_standard", "units": units, "idempotency_key": f"p{n}"}
        for _ in range(2):  # and each is replayed
            sent = await client.post("/api/v1/xp/events", json=body, headers=user["headers"])
            assert sent.status_code in (200, 201), sent.text
    mine = msgspec.convert(
        (await client.get("/api/v1/users/me/quests", headers=user["headers"])).json(), MyQuests, strict=False
    )
    [done] = [q for q in mine.daily if q.key == daily]
    assert (done.progress, done.percent, done.completed) == (24, 100, True) and done.completed_at is not None
    # The week counts the push-ups' XP (3 x 12 x 2), not the quest's own 15.
    assert (mine.weekly[0].progress, mine.weekly[0].percent) == (72, 7)
    feed = (await client.get("/api/v1/notifications", headers=user["headers"])).json()
    assert [i["data"]["quest"] for i in feed["items"] if i["kind"] == "quest_completed"] == [daily]
    assert (await client.get("/api/v1/users/me/wallet", headers=user["headers"])).json()["coins"] == 3
    profile = (await client.get("/api/v1/users/me/profile", headers=user["headers"])).json()
    assert profile["total_xp"] == 72 + 15


async def test_quests_follow_the_callers_time_zone(client, admin, user, prefix) -> None:
    client.cookies.clear()
    assert (
        await client.post("/api/v1/admin/quests", json=_pushups(f"{prefix}-tz"), headers=admin["headers"])
    ).status_code == 201
    moved = await client.patch("/api/v1/users/me", json={"timezone": "Pacific/Kiritimati"}, headers=user["headers"])
    assert moved.status_code == 200
    mine = (await client.get("/api/v1/users/me/quests", headers=user["headers"])).json()
    assert mine["timezone"] == "Pacific/Kiritimati"
    [quest] = [q for q in mine["daily"] if q["key"] == f"{prefix}-tz"]
    assert datetime.fromisoformat(quest["expires_at"]).hour == 10  # local midnight at UTC+14


async def test_refused_quests_and_unknown_ones(client, admin, user, prefix) -> None:
    client.cookies.clear()
    no_activity = _pushups(f"{prefix}-bad", goal={"kind": "activity_units", "target": 5})
    refused = await client.post("/api/v1/admin/quests", json=no_activity, headers=admin["headers"])
    assert refused.status_code == 422 and refused.json()["code"] == "engage.invalid_quest"
    wrong_kind = _pushups(f"{prefix}-bad", goal={"kind": "level", "target": 5})
    assert (await client.post("/api/v1/admin/quests", json=wrong_kind, headers=admin["headers"])).status_code == 400
    gone = await client.delete(f"/api/v1/admin/quests/{prefix}-none", headers=admin["headers"])
    assert gone.status_code == 404 and gone.json()["code"] == "engage.unknown_quest"
    assert (
        await client.post("/api/v1/admin/quests", json=_pushups(f"{prefix}-x"), headers=user["headers"])
    ).status_code == 403
    assert (await client.get("/api/v1/users/me/quests")).status_code == 401
    saved = await client.post("/api/v1/admin/quests", json=_pushups(f"{prefix}-x"), headers=admin["headers"])
    assert saved.status_code == 201
    drawn = (await client.get("/api/v1/users/me/quests", headers=user["headers"])).json()
    assert f"{prefix}-x" in [q["key"] for q in drawn["daily"]]
    assert (await client.delete(f"/api/v1/admin/quests/{prefix}-x", headers=admin["headers"])).status_code == 204
    after = (await client.get("/api/v1/users/me/quests", headers=user["headers"])).json()
    assert f"{prefix}-x" not in [q["key"] for q in after["daily"]]  # retired: withdrawn
