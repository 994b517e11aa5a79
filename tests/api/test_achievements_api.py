"""Achievements over HTTP: operators define them, awards unlock them (once, with a notification
and coins), the caller sees progress with percent, anyone sees a user's unlocks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from src.engagement.answers import Achievement, MyAchievements, PublicAchievement


@pytest.fixture
async def defined(client, admin, db) -> AsyncIterator[dict[str, str]]:
    """Two achievements of this test's own (committed: retired afterwards, so later tests in
    this database are not affected)."""
    prefix = f"http-{uuid.uuid4().hex[:6]}"
    keys = {"flags": f"{prefix}-flags", "secret": f"{prefix}-secret"}
    try:
        yield keys
    finally:
        await db.execute("update engage.achievements set active = false where key like $1 || '%'", prefix)


def _flags(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": "Flag Capturer",
        "description": "Capture CTF flags.",
        "icon": "flag",
        "mode": "cyber",
        "reward_coins": 4,
        "rule": {"kind": "activity_events", "params": {"activity": "ctf_flag"}},
        "tiers": [{"name": "bronze", "threshold": 1}, {"name": "silver", "threshold": 4}],
        **extra,
    }


async def test_operators_define_and_awards_unlock_once(client, admin, user, db, defined) -> None:
    client.cookies.clear()
    saved = await client.post("/api/v1/admin/achievements", json=_flags(defined["flags"]), headers=admin["headers"])
    assert saved.status_code == 201, saved.text
    assert msgspec.convert(saved.json(), Achievement, strict=False).rule.kind == "activity_events"
    secret = _flags(
        defined["secret"], name="Secret", hidden=True, reward_coins=0, tiers=[{"name": "gold", "threshold": 2}]
    )
    assert (await client.post("/api/v1/admin/achievements", json=secret, headers=admin["headers"])).status_code == 201
    listed = await client.get("/api/v1/admin/achievements", headers=admin["headers"])
    assert {defined["flags"], defined["secret"]} <= {a["key"] for a in listed.json()}

    mine = (await client.get("/api/v1/users/me/achievements", headers=user["headers"])).json()
    assert defined["flags"] in [a["key"] for a in mine["in_progress"]]
    assert defined["secret"] not in [a["key"] for a in mine["in_progress"] + mine["unlocked"]]  # hidden

    for n in range(2):
        await db.fetchval("select xp.award($1, 'ctf_flag', 1, 'activity', $2)", user["id"], f"{user['id']}:f{n}")
        await db.fetchval(
            "select xp.award($1, 'ctf_flag', 1, 'activity', $2)", user["id"], f"{user['id']}:f{n}"
        )  # replay
    answer = await client.get("/api/v1/users/me/achievements", headers=user["headers"])
    assert answer.status_code == 200
    mine = msgspec.convert(answer.json(), MyAchievements, strict=False)
    unlocked = {a.key: a for a in mine.unlocked}
    flags = unlocked[defined["flags"]]
    assert (flags.value, flags.tier, flags.next_threshold, flags.percent) == (2, 1, 4, 50)
    assert unlocked[defined["secret"]].tier == 1  # shown now that it is unlocked

    public = await client.get(f"/api/v1/users/{user['username']}/achievements")
    assert public.status_code == 200
    shown = {a.key: a for a in msgspec.convert(public.json(), list[PublicAchievement], strict=False)}
    assert shown[defined["flags"]].tier_name == "bronze"
    feed = (await client.get("/api/v1/notifications", headers=user["headers"])).json()
    kinds = [i["data"].get("achievement") for i in feed["items"] if i["kind"] == "achievement_unlocked"]
    assert sorted(kinds) == sorted([defined["flags"], defined["secret"]])
    wallet = (await client.get("/api/v1/users/me/wallet", headers=user["headers"])).json()
    assert wallet["coins"] == 4

    retired = await client.delete(f"/api/v1/admin/achievements/{defined['flags']}", headers=admin["headers"])
    assert retired.status_code == 204
    missing = await client.delete("/api/v1/admin/achievements/no-such-thing", headers=admin["headers"])
    assert missing.status_code == 404 and missing.json()["code"] == "engage.unknown_achievement"


async def test_refusals(client, admin, user, defined) -> None:
    client.cookies.clear()
    assert (await client.get("/api/v1/users/me/achievements")).status_code == 401
    assert (await client.get("/api/v1/admin/achievements", headers=user["headers"])).status_code == 403
    assert (await client.get("/api/v1/users/nobody-at-all-here/achievements")).status_code == 404
    bad_rule = _flags(defined["flags"], rule={"kind": "activity_events", "params": {"activity": "walk_km"}})
    refused = await client.post("/api/v1/admin/achievements", json=bad_rule, headers=admin["headers"])
    assert refused.status_code == 422 and refused.json()["code"] == "engage.invalid_rule"
    falling = _flags(defined["flags"], tiers=[{"name": "a", "threshold": 5}, {"name": "b", "threshold": 2}])
    refused = await client.post("/api/v1/admin/achievements", json=falling, headers=admin["headers"])
    assert refused.status_code == 422 and refused.json()["code"] == "engage.invalid_tiers"
    unknown_kind = _flags(defined["flags"], rule={"kind": "nope"})
    assert (
        await client.post("/api/v1/admin/achievements", json=unknown_kind, headers=admin["headers"])
    ).status_code == 400
