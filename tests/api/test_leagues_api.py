"""Leagues over HTTP: each mode's tiers, and the caller's cohort before and after their first XP."""

from __future__ import annotations

import uuid

import msgspec

from src.leagues.answers import MyLeague, Tiers


async def test_tiers_of_each_mode(client) -> None:
    for mode in ("reality", "cyber"):
        answer = await client.get(f"/api/v1/leagues/{mode}/tiers")
        assert answer.status_code == 200, answer.text
        tiers = msgspec.convert(answer.json(), Tiers, strict=False)
        assert tiers.mode == mode
        assert [t.name for t in tiers.tiers][:6] == ["Bronze", "Silver", "Gold", "Platinum", "Diamond", "Master"]
        bronze = tiers.tiers[0]
        assert (bronze.cohort_size, bronze.promote_pct, bronze.demote_pct, bronze.min_members) == (30, 0.10, 0.20, 10)
    missing = await client.get("/api/v1/leagues/spirit/tiers")
    assert missing.status_code == 404 and missing.json()["code"] == "leagues.unknown_mode"


async def test_my_league_before_and_after_the_first_xp(client, db, user, api_key_factory) -> None:
    client.cookies.clear()
    assert (await client.get("/api/v1/leagues/cyber/me")).status_code == 401
    before = await client.get("/api/v1/leagues/cyber/me", headers=user["headers"])
    assert before.status_code == 200, before.text
    body = msgspec.convert(before.json(), MyLeague, strict=False)
    assert body.cohort_id is None and body.rank is None and body.members == [] and body.tier
    assert body.tier.code == "bronze"

    others = [
        await db.fetchval("insert into app.users (username) values ($1) returning id", f"lga{uuid.uuid4().hex[:10]}")
        for _ in range(3)
    ]
    bot = await api_key_factory("xp:write")
    for who in [user["id"], *others]:
        award = await client.post(
            "/api/v1/xp/events",
            headers=bot,
            json={"user": {"id": str(who)}, "activity": "commit", "units": 1, "idempotency_key": uuid.uuid4().hex},
        )
        assert award.status_code == 201, award.text
    after = await client.get("/api/v1/leagues/cyber/me", headers=user["headers"])
    assert after.status_code == 200, after.text
    mine = msgspec.convert(after.json(), MyLeague, strict=False)
    assert mine.cohort_id is not None and mine.rank is not None and mine.xp > 0
    assert str(user["id"]) in {str(m.user.id) for m in mine.members}
    assert [m.rank for m in mine.members] == list(range(1, len(mine.members) + 1))
    xps = [m.xp for m in mine.members]
    assert xps == sorted(xps, reverse=True)
    # the cohort is the one the database seated the user in, this season
    seated = await db.fetchval(
        "select cohort_id from leagues.members where user_id = $1 and mode = 'cyber'"
        " and season_id = to_char(now() at time zone 'UTC', 'YYYY-MM')",
        user["id"],
    )
    assert seated == mine.cohort_id
    assert (await client.get("/api/v1/leagues/spirit/me", headers=user["headers"])).status_code == 404
