"""One hot user: many concurrent awards for ONE user through the real AwardBatcher (a Discord bot
crediting one member in bursts). Each caller gets the answer the same award gets alone, applied
in booking order (levels, leveled_up, the daily cap), replays answer the original, failures
fail alone, and the totals equal the ledger. And the batcher never has one user in two calls
at once: those would queue on the user's totals row (bench/hot_user.py shows the cost)."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from src.db import Database
from src.db_errors import Refused
from src.xp import batcher as batcher_module
from src.xp.batcher import Award, AwardBatcher

# The fields an answer owes to the order it was booked in (event_id and user_id name the row).
ORDERED = ("xp_awarded", "capped", "mode", "total_xp", "level", "leveled_up", "modes", "season_id", "season_xp")


def _award(user: uuid.UUID | None, activity: str, units: int, key: str, discord_id: str | None = None) -> Award:
    return Award(
        user_id=user,
        discord_id=discord_id,
        activity=activity,
        units=Decimal(units),
        idempotency_key=key,
        occurred_at=None,
        metadata={},
        caller_user=None,
    )


async def _answer(batcher: AwardBatcher, award: Award) -> tuple[str, Any]:
    """('ok', the answer) or ('refused', (sqlstate, detail, message))."""
    try:
        replayed, body = await batcher.award(award)
    except (asyncpg.PostgresError, Refused) as exc:
        return "refused", (exc.sqlstate, getattr(exc, "detail", None), str(exc))
    answer = json.loads(body)
    assert answer["replayed"] == replayed
    return "ok", answer


async def _user(db: Database, prefix: str) -> uuid.UUID:
    user: uuid.UUID = await db.fetchval(
        "insert into app.users (username) values ($1) returning id", f"{prefix}{uuid.uuid4().hex[:10]}"
    )
    return user


async def _activities(db: Database) -> tuple[str, str]:
    """An uncapped activity (levels come quickly) and one capped at 20 units a day."""
    tag = uuid.uuid4().hex[:8]
    big, capped = f"hot_big_{tag}", f"hot_cap_{tag}"
    await db.execute(
        "insert into xp.activity_types (key, name, unit, xp_per_unit, mode, daily_cap_units, self_report) values"
        " ($1, 'Hot big', 'unit', 45, 'reality', null, false), ($2, 'Hot capped', 'unit', 7, 'cyber', 20, false)",
        big,
        capped,
    )
    return big, capped


async def _totals_equal_ledger(db: Database, user: uuid.UUID) -> int:
    row = await db.fetchrow(
        "select t.total_xp, t.reality_xp, t.cyber_xp,"
        " (select coalesce(sum(xp), 0) from xp.ledger l where l.user_id = t.user_id) as ledger,"
        " (select coalesce(sum(xp), 0) from xp.ledger l where l.user_id = t.user_id and mode = 'reality') as reality,"
        " (select count(*) from xp.ledger l where l.user_id = t.user_id) as events"
        " from xp.totals t where t.user_id = $1",
        user,
    )
    assert row is not None
    assert row["total_xp"] == row["ledger"] == row["reality_xp"] + row["cyber_xp"], dict(row)
    assert row["reality_xp"] == row["reality"], dict(row)
    events: int = row["events"]
    return events


async def test_concurrent_awards_to_one_user_answer_as_solo_awards_in_order(db) -> None:
    hot, solo = await _user(db, "hot"), await _user(db, "solo")
    discord_id = str(uuid.uuid4().int)[:18]
    await db.execute("update app.users set discord_id = $1 where id = $2", discord_id, hot)
    big, capped = await _activities(db)
    rng = random.Random(20)
    batcher = AwardBatcher(db, max_batch=8, max_inflight=4)

    def fresh(n: int) -> Award:
        activity = big if rng.random() < 0.7 else capped
        by_discord = rng.random() < 0.2  # a bot names the user by Discord id: the same user
        return _award(
            None if by_discord else hot,
            activity,
            rng.randint(1, 4),
            f"hot-{n}-{uuid.uuid4().hex[:6]}",
            discord_id if by_discord else None,
        )

    # Round 1: fresh awards and failures (an unknown activity, a bad amount), all at once.
    round1 = [fresh(n) for n in range(60)]
    round1 += [_award(hot, "no_such_activity", 1, f"hot-bad-{n}") for n in range(3)]
    round1 += [_award(hot, big, 0, f"hot-zero-{n}") for n in range(2)]
    rng.shuffle(round1)
    answers1 = await asyncio.gather(*(_answer(batcher, a) for a in round1))

    # Round 2: replays of round 1, the same keys for other requests, new awards, and new keys
    # sent twice at once (either may book; the other answers it), all at once.
    booked1 = [(a, body) for a, (kind, body) in zip(round1, answers1, strict=True) if kind == "ok"]
    replays = rng.sample(booked1, 20)
    round2: list[Award] = [a for a, _ in replays]
    round2 += [_award(hot, big, 9, a.idempotency_key) for a, _ in rng.sample(booked1, 3)]  # a different request
    round2 += [fresh(100 + n) for n in range(40)]
    twice = [fresh(200 + n) for n in range(6)]
    round2 += twice + twice
    round2 += [_award(hot, "no_such_activity", 1, f"hot-bad2-{n}") for n in range(2)]
    rng.shuffle(round2)
    answers2 = await asyncio.gather(*(_answer(batcher, a) for a in round2))

    requests = list(zip(round1 + round2, answers1 + answers2, strict=True))
    originals = {a.idempotency_key: body for a, body in booked1}
    booked: dict[str, dict[str, Any]] = dict(originals)  # key -> the answer that booked it
    for award, (kind, body) in zip(round2, answers2, strict=True):
        if kind == "ok" and not body["replayed"]:
            assert award.idempotency_key not in booked, award
            booked[award.idempotency_key] = body
    assert len(booked) == 60 + 40 + 6

    # Every replay answers the original; every success is of this user.
    for award, (kind, body) in requests:
        if kind == "ok":
            assert body["user_id"] == str(hot)
            assert body == {**booked[award.idempotency_key], "replayed": body["replayed"]}, award
    replayed = [body for a, (_, body) in zip(round2, answers2, strict=True) if any(a is r for r, _ in replays)]
    assert len(replayed) == 20 and all(body["replayed"] for body in replayed)
    assert sum(body["replayed"] for a, (_, body) in zip(round2, answers2, strict=True) if a in twice) == 6

    # The same awards alone, one at a time, on another user in the order they were booked.
    reference = AwardBatcher(db, max_batch=1, max_inflight=1)
    by_key = {a.idempotency_key: a for a, _ in booked1}  # the award that booked each key
    by_key |= {
        a.idempotency_key: a
        for a, (kind, body) in zip(round2, answers2, strict=True)
        if kind == "ok" and not body["replayed"]
    }
    for key, body in sorted(booked.items(), key=lambda kv: kv[1]["event_id"]):
        award = by_key[key]
        kind, alone = await _answer(reference, _award(solo, award.activity, int(award.units), f"solo-{key}"))
        assert kind == "ok", alone
        assert {f: body[f] for f in ORDERED} == {f: alone[f] for f in ORDERED}, (key, body, alone)

    # Failures fail alone, exactly as alone; a reused key for another request is a conflict.
    reused = {a.idempotency_key for a, _ in booked1}
    for award, (kind, body) in requests:
        if award.activity == "no_such_activity" or award.units == 0:
            alone = await _answer(reference, _award(solo, award.activity, int(award.units), f"solo-x-{uuid.uuid4()}"))
            assert (kind, body) == alone
        elif kind == "refused":
            assert award.idempotency_key in reused and award.units == 9, (award, body)
            assert body[:2] == ("XP409", "request.idempotency_key_reused")

    assert any(body["leveled_up"] for body in booked.values())
    assert any(body["capped"] for body in booked.values())
    assert await _totals_equal_ledger(db, hot) == len(booked)
    assert await _totals_equal_ledger(db, solo) == len(booked)


async def test_one_user_is_never_in_two_calls_at_once(db, monkeypatch) -> None:
    """With calls to spare, one user's concurrent awards still go one call at a time, together
    (in arrival order), while other users' awards take the other calls."""
    hot, cold = await _user(db, "hot"), await _user(db, "cold")
    big, _ = await _activities(db)
    in_flight: list[set[Any]] = []
    overlaps: list[set[Any]] = []
    sizes: list[int] = []
    award_events = batcher_module.calls.award_events

    async def watched(database: Database, *columns: list[Any]) -> list[asyncpg.Record]:
        users = set(columns[0])
        for other in in_flight:
            if other & users:
                overlaps.append(other & users)
        in_flight.append(users)
        sizes.append(len(columns[0]))
        try:
            await asyncio.sleep(0.01)  # a slower database: the calls overlap
            return await award_events(database, *columns)
        finally:
            in_flight.remove(users)

    monkeypatch.setattr(batcher_module.calls, "award_events", watched)
    batcher = AwardBatcher(db, max_batch=16, max_inflight=8)
    awards = [_award(hot, big, 1, f"one-{n}-{uuid.uuid4().hex[:6]}") for n in range(100)]
    awards += [_award(cold, big, 1, f"one-c-{n}-{uuid.uuid4().hex[:6]}") for n in range(10)]
    random.Random(3).shuffle(awards)
    answers = await asyncio.gather(*(_answer(batcher, a) for a in awards))

    assert overlaps == []
    assert all(kind == "ok" for kind, _ in answers)
    assert max(sizes) == 16 and batcher.calls < 20, sizes  # the hot user's awards went together
    # Booked in arrival order: each user's totals grow along the order the awards were sent.
    for user in (hot, cold):
        totals = [body["total_xp"] for a, (_, body) in zip(awards, answers, strict=True) if a.user_id == user]
        assert totals == sorted(totals) and len(set(totals)) == len(totals)
    assert await _totals_equal_ledger(db, hot) == 100
