"""POST /xp/events sends concurrent awards to Postgres together (src/xp/batcher.py): each
request must still get exactly the answer it would get alone, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import replace
from decimal import Decimal

import asyncpg
import pytest

from src.db import Database
from src.db_errors import Refused, status_for
from src.settings import load_settings
from src.xp.batcher import Award, AwardBatcher


def _award(user: str | None = None, activity: str = "run_km", units: float = 1, key: str | None = None, **kw) -> Award:
    return Award(
        user_id=uuid.UUID(user) if user else None,
        discord_id=kw.get("discord_id"),
        activity=activity,
        units=Decimal(str(units)),
        idempotency_key=key or uuid.uuid4().hex,
        occurred_at=None,
        metadata={},
        caller_user=None,
    )


async def _status(batcher: AwardBatcher, award: Award) -> tuple[int, dict | str]:
    """What the endpoint answers for this award: 201/200 with the award, else the mapped problem."""
    try:
        replayed, body = await batcher.award(award)
    except (asyncpg.PostgresError, Refused) as exc:
        mapped = status_for(exc)
        return (mapped[0] if mapped else 500), str(exc)
    return (200 if replayed else 201), json.loads(body)


async def test_concurrent_awards_share_calls_and_each_gets_its_own_answer(db) -> None:
    batcher = AwardBatcher(db, max_batch=32, max_inflight=1)
    users = [
        str(
            await db.fetchval("insert into app.users (username) values ($1) returning id", f"bt{uuid.uuid4().hex[:10]}")
        )
        for _ in range(6)
    ]
    discord_id = str(uuid.uuid4().int)[:18]
    await db.execute("update app.users set discord_id = $1 where id = $2", discord_id, uuid.UUID(users[5]))
    taken = f"taken-{uuid.uuid4().hex}"
    assert (await _status(batcher, _award(users[0], key=taken)))[0] == 201

    cases: list[tuple[Award, int]] = [(_award(users[n % 5], key=f"ok-{users[n % 5]}-{n}"), 201) for n in range(60)]
    cases += [
        (_award(users[0], key=taken), 200),  # a replay: the original answer
        (_award(users[1], key=taken), 409),  # the same key for another user
        (_award(str(uuid.uuid4())), 404),  # no such user
        (_award(users[2], activity="no_such_activity"), 404),
        (_award(users[3], units=0), 422),
        (_award(discord_id=discord_id, activity="code_review"), 201),
        (_award(discord_id="nobody-" + uuid.uuid4().hex[:8]), 404),
    ]
    random.Random(7).shuffle(cases)
    before = (batcher.calls, batcher.awards)
    answers = await asyncio.gather(*(_status(batcher, award) for award, _ in cases))
    calls, awards = batcher.calls - before[0], batcher.awards - before[1]
    assert awards == len(cases) and calls <= 4, (calls, awards)  # they shared calls

    for (award, status), (got, body) in zip(cases, answers, strict=True):
        assert got == status, (award, body)
        if status in (200, 201):
            assert isinstance(body, dict) and body["replayed"] == (status == 200)
            assert award.user_id is None or body["user_id"] == str(award.user_id)

    # Each success booked once; the failures booked nothing; totals equal the ledger.
    rows = await db.fetch(
        """
        select t.user_id, t.total_xp, (select coalesce(sum(xp), 0) from xp.ledger l where l.user_id = t.user_id) as ledger,
               (select count(*) from xp.ledger l where l.user_id = t.user_id) as events
        from xp.totals t where t.user_id = any($1::uuid[])
        """,
        [uuid.UUID(u) for u in users],
    )
    assert all(r["total_xp"] == r["ledger"] for r in rows)
    events = {str(r["user_id"]): r["events"] for r in rows}
    assert [events[u] for u in users[:5]] == [13, 12, 12, 12, 12]  # user 0: 12 + the first "taken" award
    assert events[users[5]] == 1


async def test_a_failed_call_fails_every_award_in_it(db) -> None:
    """A call that cannot reach Postgres at all fails each award waiting on it; none hangs."""
    settings = load_settings()
    unreachable = Database(
        replace(settings, database=replace(settings.database, url="postgresql://postgres@127.0.0.1:1/x"))
    )
    batcher = AwardBatcher(unreachable, max_batch=8, max_inflight=1)
    outcomes = await asyncio.wait_for(
        asyncio.gather(*(batcher.award(_award(str(uuid.uuid4()))) for _ in range(5)), return_exceptions=True), 30
    )
    assert all(isinstance(o, OSError) for o in outcomes), outcomes
    assert (batcher.calls, batcher.awards) == (2, 5)  # one alone, then the four that queued behind it


async def test_one_call_books_items_in_user_order_and_isolates_failures(db) -> None:
    """xp.award_events itself: a failing item rolls back alone and reports its SQLSTATE."""
    users = [
        await db.fetchval("insert into app.users (username) values ($1) returning id", f"bs{uuid.uuid4().hex[:10]}")
        for _ in range(3)
    ]
    keys = [f"b-{uuid.uuid4().hex}" for _ in range(4)]
    rows = await db.fetch(
        "select * from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8)",
        [users[2], users[0], uuid.uuid4(), users[1]],
        [None, None, None, None],
        ["run_km", "run_km", "run_km", "no_such_activity"],
        [1, 2, 1, 1],
        keys,
        [None] * 4,
        ["{}"] * 4,
        [None] * 4,
    )
    by_item = {r["item"]: r for r in rows}
    assert sorted(by_item) == [1, 2, 3, 4]
    assert by_item[1]["error_code"] is None and by_item[2]["error_code"] is None
    assert by_item[3]["error_code"] == "XP404" and "no user" in by_item[3]["body"]
    assert by_item[4]["error_code"] == "XP404" and "no active activity" in by_item[4]["body"]
    booked = [r["item"] for r in rows if r["error_code"] is None]
    assert booked == sorted(booked, key=lambda i: [users[2], users[0]][i - 1])  # user id order
    assert await db.fetchval("select count(*) from xp.ledger where idempotency_key = any($1)", keys) == 2
    assert await db.fetchval("select count(*) from xp.ledger where user_id = $1", users[1]) == 0
    too_many = 65
    try:
        await db.fetch(
            "select * from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8)",
            [users[0]] * too_many,
            [None] * too_many,
            ["run_km"] * too_many,
            [1] * too_many,
            [f"m{n}" for n in range(too_many)],
            [None] * too_many,
            ["{}"] * too_many,
            [None] * too_many,
        )
    except Exception as exc:
        assert getattr(exc, "sqlstate", None) == "XP422"
    else:
        raise AssertionError("65 awards in one call were accepted")


@pytest.mark.slow
async def test_concurrent_batches_over_the_same_users_never_deadlock(db_pool) -> None:
    """Batches lock users in user id order: 8 connections x 20 batches of 16 awards over the
    same 4 users, each batch in a random order, book every award once with no error."""
    users = [
        await db_pool.fetchval(
            "insert into app.users (username) values ($1) returning id", f"dl{uuid.uuid4().hex[:10]}"
        )
        for _ in range(4)
    ]
    rng = random.Random(11)

    async def connection(c: int) -> list[str | None]:
        codes: list[str | None] = []
        async with db_pool.acquire() as conn:
            # Booked out of order, two batches would wait on each other until PostgreSQL breaks
            # the cycle (deadlock_timeout); never wait long for a lock here.
            await conn.execute("set lock_timeout = '3s'")
            try:
                for b in range(20):
                    batch = [users[rng.randrange(4)] for _ in range(16)]
                    rows = await conn.fetch(
                        "select * from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8)",
                        batch,
                        [None] * 16,
                        ["code_review"] * 16,
                        [1] * 16,
                        [f"dl-{c}-{b}-{i}" for i in range(16)],
                        [None] * 16,
                        ["{}"] * 16,
                        [None] * 16,
                    )
                    codes += [r["error_code"] for r in rows]
                    if any(codes):
                        break  # a deadlock (or lock timeout): no need to wait out the rest
            finally:
                await conn.execute("reset lock_timeout")
        return codes

    codes = [code for result in await asyncio.gather(*(connection(c) for c in range(8))) for code in result]
    assert len(codes) == 8 * 20 * 16 and set(codes) == {None}, {c for c in codes if c}
    rows = await db_pool.fetch(
        "select t.total_xp, (select count(*) from xp.ledger l where l.user_id = t.user_id) as events,"
        " (select coalesce(sum(xp), 0) from xp.ledger l where l.user_id = t.user_id) as ledger"
        " from xp.totals t where t.user_id = any($1::uuid[])",
        users,
    )
    assert sum(r["events"] for r in rows) == 8 * 20 * 16 and all(r["total_xp"] == r["ledger"] for r in rows)


async def test_a_call_failing_whole_with_a_deadlock_is_sent_again(db) -> None:
    """A deadlock raised after the items (the league seats xp.award_events takes last) undoes the
    whole call; its awards go again in the next call instead of failing with a 500. A real
    PostgreSQL error: a trigger on the seat of this test's user raises 40P01 once."""
    user = await db.fetchval("insert into app.users (username) values ($1) returning id", f"dl{uuid.uuid4().hex[:10]}")
    sequence = f"public.deadlock_once_{uuid.uuid4().hex[:8]}"
    await db.execute(f"create sequence {sequence}")
    await db.execute(
        f"""create function {sequence}_raise() returns trigger language plpgsql as $$
            begin
                if nextval('{sequence}') = 1 then
                    raise exception 'deadlock detected (test)' using errcode = '40P01';
                end if;
                return new;
            end $$"""
    )
    await db.execute(
        f"create trigger deadlock_once before insert on leagues.members for each row"
        f" when (new.user_id = '{user}') execute function {sequence}_raise()"
    )
    try:
        batcher = AwardBatcher(db, max_batch=8, max_inflight=1)
        status, body = await asyncio.wait_for(_status(batcher, _award(str(user))), 30)
        assert status == 201, body
        assert batcher.calls == 2  # the first call deadlocked as a whole, the second booked it
        assert await db.fetchval("select count(*) from xp.ledger where user_id = $1", user) == 1
        assert await db.fetchval("select count(*) from leagues.members where user_id = $1", user) == 1
    finally:
        await db.execute("drop trigger deadlock_once on leagues.members")
        await db.execute(f"drop function {sequence}_raise()")
        await db.execute(f"drop sequence {sequence}")
