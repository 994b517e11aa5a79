"""Quests (issue 16, docs/engagement.md#quests): drawn from the pool per user and period,
deterministically; progress moves with each award in its transaction; a quest completes once,
paying its XP (source quest) and coins once, under concurrency too; periods end at the local
midnight of the user's time zone; quest rewards move no quest; and the progress kept is what
the ledger implies after any sequence of events."""

from __future__ import annotations

import asyncio
import hashlib
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

COUNTED = ("activity", "self_report", "bot", "challenge")


def _quest(key: str, period: str, kind: str, target: float, **extra: Any) -> dict[str, Any]:
    params = extra.pop("params", {})
    return {
        "key": key,
        "name": key.title(),
        "description": f"{key} for the tests",
        "period": period,
        "goal": {"kind": kind, "params": params, "target": target},
        **extra,
    }


async def _pool(db: Any, quests: list[dict[str, Any]], *, per_user: int | None = None) -> list[str]:
    """Only these quests are active (inside the test's transaction); every one is drawn when
    per_user is None."""
    await db.execute("update engage.quests set active = false")
    for quest in quests:
        await db.fetchval("select engage.quest_upsert($1)", quest)
    for period in ("daily", "weekly"):
        count = per_user if per_user is not None else sum(1 for q in quests if q["period"] == period)
        await db.execute("update engage.quest_settings set per_user = $2 where period = $1", period, count)
    return [q["key"] for q in quests]


async def _user(db: Any, timezone: str = "UTC") -> uuid.UUID:
    return await db.fetchval(  # type: ignore[no-any-return]
        "insert into app.users (username, timezone) values ($1, $2) returning id", f"q{uuid.uuid4().hex[:12]}", timezone
    )


async def _rows(db: Any, user: uuid.UUID) -> dict[str, asyncpg.Record]:
    rows = await db.fetch(
        "select q.key, a.* from engage.quest_assignments a join engage.quests q on q.id = a.quest_id"
        " where a.user_id = $1",
        user,
    )
    return {r["key"]: r for r in rows}


async def _drawn(db: Any, user: uuid.UUID) -> dict[str, list[str]]:
    mine = await db.fetchval("select engage.quests_for($1)", user)
    return {period: [q["key"] for q in mine[period]] for period in ("daily", "weekly")}


def _expected_draw(user: uuid.UUID, period_key: str, weights: dict[str, float], n: int) -> list[str]:
    """The draw, computed here from its definition: top n by ln(u) / weight, u from md5."""

    def score(key: str) -> float:
        digest = hashlib.md5(f"{user}:{period_key}:{key}".encode()).hexdigest()
        u = (int(digest[:13], 16) + 1) / 2**52
        return math.log(u) / weights[key]

    return sorted(weights, key=lambda k: (-score(k), k))[:n]


async def test_the_draw_is_deterministic_per_user_and_period(conn) -> None:
    weights = {f"d-{n}": float(1 + n % 3) for n in range(8)}
    await _pool(
        conn,
        [_quest(k, "daily", "total_xp", 100, weight=w) for k, w in weights.items()]
        + [_quest(f"w-{n}", "weekly", "total_xp", 1000) for n in range(5)],
        per_user=3,
    )
    user = await _user(conn)
    # A draw rolled back (a failed award, a retry) and drawn again is the same set.
    try:
        async with conn.transaction():
            first = await _drawn(conn, user)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert await conn.fetchval("select count(*) from engage.quest_assignments where user_id = $1", user) == 0
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 10, 'bot', $2)", user, f"{user}:d1")  # the award draws
    again = await _drawn(conn, user)
    assert again == {"daily": sorted(first["daily"]), "weekly": sorted(first["weekly"])}
    assert await _drawn(conn, user) == again  # a read changes nothing
    today = await conn.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM-DD')")
    assert sorted(again["daily"]) == sorted(_expected_draw(user, today, weights, 3))
    assert len(again["weekly"]) == 3
    # Other users draw other sets (8 choose 3 = 56 possible).
    others = set()
    for _ in range(8):
        other = await _user(conn)
        others.add(tuple((await _drawn(conn, other))["daily"]))
    assert len(others) > 1


async def test_progress_completes_once_and_pays_once(conn) -> None:
    await _pool(
        conn,
        [
            _quest(
                "run5",
                "daily",
                "activity_units",
                5,
                mode="reality",
                params={"activity": "run_km"},
                reward_xp=100,
                reward_coins=5,
            ),
            _quest("runs", "daily", "activity_events", 10, mode="reality"),
            _quest("cyber", "weekly", "mode_xp", 500, mode="cyber", reward_xp=50),
        ],
    )
    user = await _user(conn)
    await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", user, f"{user}:r1")
    assert (await _rows(conn, user))["run5"]["value"] == 3
    await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", user, f"{user}:r1")  # replay
    assert (await _rows(conn, user))["run5"]["value"] == 3
    done = await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", user, f"{user}:r2")
    await conn.fetchval("select xp.award($1, 'run_km', 4, 'activity', $2)", user, f"{user}:r3")  # after: nothing more
    rows = await _rows(conn, user)
    assert rows["run5"]["completed_at"] is not None and rows["run5"]["value"] == 6
    assert rows["run5"]["event_id"] == done["event_id"]
    assert rows["runs"]["value"] == 3 and rows["runs"]["completed_at"] is None
    assert rows["cyber"]["value"] == 0  # reality awards do not move a cyber quest
    paid = await conn.fetch("select * from xp.ledger where user_id = $1 and source = 'quest'", user)
    today = rows["run5"]["period_key"]
    assert [(p["xp"], p["mode"], p["idempotency_key"]) for p in paid] == [
        (100, "reality", f"quest:{user}:run5:{today}")
    ]
    assert rows["run5"]["reward_event_id"] == paid[0]["id"]
    assert await conn.fetchval("select balance from store.wallets where user_id = $1", user) == 5
    notes = await conn.fetch(
        "select title, data from notify.outbox where user_id = $1 and kind = 'quest_completed'", user
    )
    assert [(n["title"], n["data"]["quest"], n["data"]["period_key"]) for n in notes] == [
        ("Quest complete: Run5", "run5", today)
    ]
    # The XP went through the normal booking: totals include it.
    assert await conn.fetchval("select total_xp from xp.totals where user_id = $1", user) == 10 * 300 + 100
    mine = await conn.fetchval("select engage.quests_for($1)", user)
    shown = {q["key"]: q for q in mine["daily"]}
    assert (shown["run5"]["completed"], shown["run5"]["percent"]) == (True, 100)
    assert (shown["runs"]["completed"], shown["runs"]["percent"], shown["runs"]["progress"]) == (False, 30, 3)


async def test_quest_rewards_and_adjustments_move_no_quest(conn) -> None:
    await _pool(
        conn,
        [
            _quest("first", "daily", "total_xp", 100, reward_xp=500),
            _quest("more", "daily", "total_xp", 550),
            _quest("week", "weekly", "total_xp", 10_000, reward_xp=700),
        ],
    )
    user = await _user(conn)
    await conn.fetchval("select xp.award_fixed($1, 'reality', 100, 'bot', $2)", user, f"{user}:b1")
    await conn.fetchval("select xp.adjust(null, $1, 300, 'goodwill', $2, 'reality')", user, f"{user}:adj")
    await conn.fetchval("select xp.book($1, 'quest', $2, now(), '{}', 'cyber', 900)", user, f"{user}:manual")
    rows = await _rows(conn, user)
    assert rows["first"]["completed_at"] is not None
    # Only the bot's 100 counts: not the quest's own 500, the adjustment or a quest-source award.
    assert rows["more"]["value"] == 100 and rows["week"]["value"] == 100
    assert await conn.fetchval("select total_xp from xp.totals where user_id = $1", user) == 100 + 500 + 300 + 900


async def test_periods_end_at_the_local_midnight_of_the_user(conn) -> None:
    """Pacific/Kiritimati is UTC+14: its day starts at 10:00 UTC of the UTC day before. An event
    a minute before that start is in the user's yesterday, whose quests have ended: it counts
    for no period. The same instant for a UTC user counts if it is today in UTC."""
    await _pool(conn, [_quest("km", "daily", "activity_units", 1000, params={"activity": "walk_km"})], per_user=1)
    kiri = await _user(conn, "Pacific/Kiritimati")
    utc = await _user(conn)
    k_period = await conn.fetchrow("select * from engage.quest_period('daily', now(), 'Pacific/Kiritimati')")
    u_period = await conn.fetchrow("select * from engage.quest_period('daily', now(), 'UTC')")
    assert k_period["starts_at"].hour == 10 and k_period["expires_at"] - k_period["starts_at"] == timedelta(hours=24)
    assert k_period["period_key"] == await conn.fetchval(
        "select to_char(now() at time zone 'Pacific/Kiritimati', 'YYYY-MM-DD')"
    )
    before = k_period["starts_at"] - timedelta(minutes=1)
    for user in (kiri, utc):
        await conn.fetchval("select xp.award($1, 'walk_km', 2, 'activity', $2, $3)", user, f"{user}:late", before)
    assert await _rows(conn, kiri) == {}  # yesterday's period has ended: nothing drawn, nothing counted
    counts_for_utc = before >= u_period["starts_at"]
    assert bool(await _rows(conn, utc)) == counts_for_utc
    if counts_for_utc:
        assert (await _rows(conn, utc))["km"]["value"] == 2
    # Now counts for both; each quest expires at its own local midnight.
    for user in (kiri, utc):
        await conn.fetchval("select xp.award($1, 'walk_km', 3, 'activity', $2)", user, f"{user}:now")
    k_row, u_row = (await _rows(conn, kiri))["km"], (await _rows(conn, utc))["km"]
    assert k_row["value"] == 3 and k_row["expires_at"] == k_period["expires_at"]
    assert u_row["value"] == (5 if counts_for_utc else 3) and u_row["expires_at"] == u_period["expires_at"]
    mine = await conn.fetchval("select engage.quests_for($1)", kiri)
    assert mine["timezone"] == "Pacific/Kiritimati"
    assert datetime.fromisoformat(mine["daily"][0]["expires_at"]) == k_period["expires_at"]


async def test_an_ended_period_is_not_offered_and_its_quests_take_nothing(conn) -> None:
    await _pool(conn, [_quest("walk", "daily", "activity_units", 100, params={"activity": "walk_km"})])
    user = await _user(conn)
    await conn.fetchval("select xp.award($1, 'walk_km', 2, 'activity', $2)", user, f"{user}:w1")
    # Move that assignment to yesterday: a period that has ended.
    await conn.execute(
        "update engage.quest_progress set period_key = to_char(now() - interval '1 day', 'YYYY-MM-DD'),"
        " starts_at = starts_at - interval '1 day', expires_at = expires_at - interval '1 day' where user_id = $1",
        user,
    )
    await conn.fetchval("select xp.award($1, 'walk_km', 3, 'activity', $2)", user, f"{user}:w2")
    rows = await conn.fetch(
        "select period_key, value from engage.quest_assignments where user_id = $1 order by period_key", user
    )
    assert [r["value"] for r in rows] == [2, 3]  # yesterday's kept its 2; today's was drawn and got 3
    mine = await conn.fetchval("select engage.quests_for($1)", user)
    assert [(q["key"], q["progress"]) for q in mine["daily"]] == [("walk", 3)]


async def test_a_dst_day_is_a_local_day(conn) -> None:
    period = await conn.fetchrow("select * from engage.quest_period('daily', '2026-10-25 12:00+00', 'Europe/Berlin')")
    assert period["period_key"] == "2026-10-25" and period["expires_at"] - period["starts_at"] == timedelta(hours=25)
    week = await conn.fetchrow("select * from engage.quest_period('weekly', '2026-10-25 12:00+00', 'Europe/Berlin')")
    assert week["period_key"] == "2026-W43" and week["expires_at"] - week["starts_at"] == timedelta(hours=7 * 24 + 1)
    monday = await conn.fetchrow("select * from engage.quest_period('weekly', '2027-01-03 23:30+00', 'Asia/Tokyo')")
    assert monday["period_key"] == "2027-W01"  # Monday 4 January in Tokyo: ISO week 1 of 2027


async def test_retired_quests_are_withdrawn_and_refused_goals(conn) -> None:
    await _pool(conn, [_quest("gone", "daily", "total_xp", 1000), _quest("stays", "daily", "total_xp", 1)])
    user = await _user(conn)
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 10, 'bot', $2)", user, f"{user}:g1")
    assert await conn.fetchval("select engage.quest_deactivate('gone')") == "gone"
    assert await conn.fetchval("select engage.quest_deactivate('no-such')") is None
    assert set(await _rows(conn, user)) == {"stays"}  # the completed one stays, the open one went
    for bad in (
        _quest("bad", "daily", "level", 5),
        _quest("bad", "daily", "activity_units", 5),  # no activity
        _quest("bad", "daily", "activity_units", 5, mode="cyber", params={"activity": "run_km"}),
        _quest("bad", "daily", "mode_xp", 5),
        _quest("bad", "daily", "total_xp", 5, params={"activity": "run_km"}),
        _quest("bad", "monthly", "total_xp", 5),
        _quest("bad", "daily", "total_xp", 0),
    ):
        try:
            async with conn.transaction():
                await conn.fetchval("select engage.quest_upsert($1)", bad)
        except asyncpg.PostgresError as error:
            assert (error.sqlstate, error.detail) == ("XP422", "engage.invalid_quest"), bad
        else:
            raise AssertionError(f"accepted {bad}")


async def test_thirty_two_connections_complete_each_quest_once(db_pool: asyncpg.Pool) -> None:
    prefix = f"c{uuid.uuid4().hex[:6]}"
    quests = [
        _quest(f"{prefix}-xp", "daily", "total_xp", 1000, reward_xp=50, reward_coins=3),
        _quest(
            f"{prefix}-runs", "daily", "activity_events", 5, mode="reality", params={"activity": "run_km"}, reward_xp=20
        ),
        _quest(f"{prefix}-km", "daily", "activity_units", 10, params={"activity": "run_km"}, reward_coins=2),
        _quest(f"{prefix}-cyber", "weekly", "mode_xp", 800, mode="cyber", reward_xp=30, reward_coins=1),
        _quest(f"{prefix}-any", "weekly", "activity_events", 10, reward_xp=10),
        _quest(f"{prefix}-never", "weekly", "challenges_completed", 1, reward_xp=999),
    ]
    active = [r["key"] for r in await db_pool.fetch("select key from engage.quests where active")]
    assert active == [], active  # the seeded pool is inactive in the test template
    for quest in quests:
        await db_pool.fetchval("select engage.quest_upsert($1)", quest)
    try:
        user = await db_pool.fetchval(
            "insert into app.users (username) values ($1) returning id", f"q{uuid.uuid4().hex[:12]}"
        )

        async def award(i: int) -> None:
            async with db_pool.acquire() as connection:
                if i % 2:
                    await connection.fetchval(
                        "select xp.award_fixed($1, 'cyber', 100, 'bot', $2)", user, f"{user}:c{i}"
                    )
                else:
                    await connection.fetchval("select xp.award($1, 'run_km', 1, 'activity', $2)", user, f"{user}:c{i}")

        await asyncio.gather(*(award(i) for i in range(32)))
        rows = await _rows(db_pool, user)
        assert len(rows) == 6
        completed = {k.removeprefix(f"{prefix}-") for k, r in rows.items() if r["completed_at"] is not None}
        assert completed == {"xp", "runs", "km", "cyber", "any"}
        assert rows[f"{prefix}-never"]["value"] == 0
        await _check(db_pool, user)
        assert await db_pool.fetchval("select balance from store.wallets where user_id = $1", user) == 3 + 2 + 1
    finally:
        for quest in quests:
            await db_pool.fetchval("select engage.quest_deactivate($1)", quest["key"])


async def test_an_award_racing_a_retirement_keeps_both(db_pool: asyncpg.Pool) -> None:
    """The award hook computes a period row's arrays from what it read and writes them only if
    the row still holds the quests it read. A retirement committed in between (here: the award
    reads, then waits on the retirement's row lock) changes the row: the award reads it again,
    so the retired quest stays gone and the award still counts for the others."""
    prefix = f"r{uuid.uuid4().hex[:6]}"
    quests = [
        _quest(f"{prefix}-keep", "daily", "total_xp", 1000),
        _quest(f"{prefix}-gone", "daily", "total_xp", 1000),
    ]
    for quest in quests:
        await db_pool.fetchval("select engage.quest_upsert($1)", quest)
    retiring = await db_pool.acquire()
    try:
        user = await db_pool.fetchval(
            "insert into app.users (username) values ($1) returning id", f"q{uuid.uuid4().hex[:12]}"
        )
        await db_pool.fetchval("select xp.award_fixed($1, 'cyber', 100, 'bot', $2)", user, f"{user}:1")  # draws
        assert {k: r["value"] for k, r in (await _rows(db_pool, user)).items()} == {
            f"{prefix}-keep": 100,
            f"{prefix}-gone": 100,
        }
        transaction = retiring.transaction()
        await transaction.start()
        await retiring.fetchval("select engage.quest_deactivate($1)", f"{prefix}-gone")  # holds the row lock
        award = asyncio.create_task(
            db_pool.fetchval("select xp.award_fixed($1, 'cyber', 50, 'bot', $2)", user, f"{user}:2")
        )
        for _ in range(100):  # the award has read the row and waits for the lock
            waiting = await db_pool.fetchval(
                "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%award_fixed%'"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the award did not wait for the retirement"
        await transaction.commit()
        await award
        rows = await _rows(db_pool, user)
        assert {k: r["value"] for k, r in rows.items()} == {f"{prefix}-keep": 150}
        assert (
            await db_pool.fetchval(
                "select open from engage.quest_progress where user_id = $1 and period = 'daily'", user
            )
            == 1
        )
    finally:
        await db_pool.release(retiring)
        for quest in quests:
            await db_pool.fetchval("select engage.quest_deactivate($1)", quest["key"])


LEDGER_VALUE = """
    select coalesce(sum(case a.kind
               when 'total_xp' then greatest(l.xp, 0)
               when 'mode_xp' then greatest(l.xp, 0)
               when 'activity_events' then case when l.activity_key is not null then 1 else 0 end
               when 'activity_units' then coalesce(l.units, 0)
               when 'challenges_completed' then case when l.source = 'challenge' then 1 else 0 end
           end), 0)
      from engage.quest_assignments a
      join xp.ledger l on l.user_id = a.user_id and l.source = any($4::text[])
       and l.occurred_at >= a.starts_at and l.occurred_at < a.expires_at
       and (a.mode is null or l.mode = a.mode) and (a.activity_key is null or l.activity_key = a.activity_key)
     where a.user_id = $1 and a.quest_id = $2 and a.period_key = $3 and l.id <= coalesce($5, l.id)
"""


async def _check(db: Any, user: uuid.UUID) -> int:
    """Every assignment's progress is what the ledger implies (up to the event that completed
    it); it is completed exactly when that reaches the target, by the first event that does;
    and each completion paid its XP, coins and notification once. Returns the completions."""
    completions = 0
    for key, row in (await _rows(db, user)).items():
        args = (user, row["quest_id"], row["period_key"], list(COUNTED))
        everything = await db.fetchval(LEDGER_VALUE, *args, None)
        if row["completed_at"] is None:
            assert row["value"] == everything < row["target"], key
        else:
            completions += 1
            assert row["value"] == await db.fetchval(LEDGER_VALUE, *args, row["event_id"]) >= row["target"], key
            assert await db.fetchval(LEDGER_VALUE, *args, row["event_id"] - 1) < row["target"], key
        pay_key = f"quest:{user}:{key}:{row['period_key']}"
        done = 1 if row["completed_at"] is not None else 0
        assert await db.fetchval(
            "select count(*) from xp.ledger where user_id = $1 and source = 'quest' and idempotency_key = $2",
            user,
            pay_key,
        ) == (done if row["reward_xp"] else 0), key
        assert await db.fetchval(
            "select count(*) from store.coin_ledger where user_id = $1 and source = 'bonus' and idempotency_key = $2",
            user,
            pay_key,
        ) == (done if row["reward_coins"] else 0), key
        assert (
            await db.fetchval(
                "select count(*) from notify.outbox where user_id = $1 and kind = 'quest_completed' and dedupe_key = $2",
                user,
                f"quest:{key}:{row['period_key']}",
            )
            == done
        ), key
    return completions


HYPOTHESIS_POOL = [
    _quest("h-xp", "daily", "total_xp", 800, reward_xp=300),
    _quest("h-reality", "weekly", "mode_xp", 1500, mode="reality", reward_xp=100, reward_coins=4),
    _quest("h-km", "daily", "activity_units", 30, params={"activity": "run_km"}, reward_coins=2),
    _quest("h-runs", "weekly", "activity_events", 4, mode="reality", params={"activity": "run_km"}, reward_xp=50),
    _quest("h-any", "daily", "activity_events", 5),
    _quest("h-commits", "weekly", "activity_units", 40, mode="cyber", params={"activity": "commit"}, reward_xp=70),
    _quest("h-solved", "daily", "challenges_completed", 2, reward_xp=25),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("run_km"), st.integers(1, 40)),
            st.tuples(st.just("commit"), st.integers(1, 30)),
            st.tuples(st.just("reality"), st.integers(1, 600)),
            st.tuples(st.just("cyber"), st.integers(1, 600)),
            st.tuples(st.just("challenge"), st.integers(1, 300)),
            st.tuples(st.just("quest"), st.integers(1, 900)),
            st.tuples(st.just("adjust"), st.integers(1, 500)),
            st.tuples(st.just("replay"), st.integers(0, 30)),
        ),
        min_size=1,
        max_size=20,
    )
)
async def test_progress_is_what_the_ledger_implies_after_any_sequence(conn, steps) -> None:
    async with conn.transaction():  # each example in its own savepoint
        await _pool(conn, HYPOTHESIS_POOL)
        user = await _user(conn)

        async def book(kind: str, value: int, key: str) -> None:
            if kind in ("run_km", "commit"):
                await conn.fetchval("select xp.award($1, $2, $3, 'activity', $4)", user, kind, value, key)
            elif kind in ("reality", "cyber"):
                await conn.fetchval("select xp.award_fixed($1, $2, $3, 'bot', $4)", user, kind, value, key)
            elif kind == "challenge":
                await conn.fetchval("select xp.award_fixed($1, 'cyber', $2, 'challenge', $3)", user, value, key)
            elif kind == "quest":
                await conn.fetchval("select xp.book($1, 'quest', $2, now(), '{}', 'reality', $3)", user, key, value)
            elif kind == "adjust":
                await conn.fetchval("select xp.adjust(null, $1, $2, 'for the test', $3, 'reality')", user, value, key)

        for n, (kind, value) in enumerate(steps):
            if kind != "replay":
                await book(kind, value, f"{user}:k{n}")
            elif value < n and steps[value][0] != "replay":  # the same key again: a replay, not a new event
                await book(*steps[value], f"{user}:k{value}")
        await _check(conn, user)


async def test_the_seed_adds_missing_quests_only(conn) -> None:
    shipped = await conn.fetchval("select count(*) from engage.quests where key like 'daily-%' or key like 'weekly-%'")
    assert shipped >= 10 and await conn.fetchval("select engage.seed_quests()") == 0  # all there: nothing added
    await conn.execute("update engage.quests set active = true, reward_xp = 1 where key = 'daily-run-5k'")
    await conn.execute("delete from engage.quests where key = 'weekly-ctf-2'")
    assert await conn.fetchval("select engage.seed_quests()") == 1
    kept = await conn.fetchrow("select active, reward_xp from engage.quests where key = 'daily-run-5k'")
    assert (kept["active"], kept["reward_xp"]) == (True, 1)  # an operator's edit stays
    assert await conn.fetchval("select active from engage.quests where key = 'weekly-ctf-2'") is False


async def test_a_period_drawn_later_counts_the_award_once(conn) -> None:
    """The hook moves the quests it finds, then draws a period that has none (a quest added to
    the pool mid-period) and counts the same award for that period only: the quests moved in the
    first pass are not moved twice, and a period with quests the award cannot move is not drawn
    again."""
    await _pool(conn, [_quest("d-xp", "daily", "total_xp", 10_000)])
    await conn.execute("update engage.quest_settings set per_user = 1")
    user = await _user(conn)
    await conn.fetchval("select xp.award_fixed($1, 'reality', 100, 'bot', $2)", user, f"{user}:a1")
    assert {k: r["value"] for k, r in (await _rows(conn, user)).items()} == {"d-xp": 100}
    await conn.fetchval("select engage.quest_upsert($1)", _quest("w-cyber", "weekly", "mode_xp", 10_000, mode="cyber"))
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 40, 'bot', $2)", user, f"{user}:a2")
    assert {k: r["value"] for k, r in (await _rows(conn, user)).items()} == {"d-xp": 140, "w-cyber": 40}
    # A reality award moves the daily quest and not the weekly one: nothing is drawn again.
    await conn.fetchval("select engage.quest_upsert($1)", _quest("w-other", "weekly", "total_xp", 10_000, weight=1000))
    await conn.fetchval("select xp.award_fixed($1, 'reality', 5, 'bot', $2)", user, f"{user}:a3")
    assert {k: r["value"] for k, r in (await _rows(conn, user)).items()} == {"d-xp": 145, "w-cyber": 40}
    await _check(conn, user)


async def test_migration_0029_carries_assignments_over_both_ways(conn) -> None:
    """0029's data SQL, run both ways on real rows: its REVERSE (one row per quest, the table a
    revision undoing it would rebuild) and then its forward insert over that table give back
    the per-period rows exactly (arrays, order, open count, completions)."""
    import importlib.util

    from src.migrations import VERSIONS_DIR

    spec = importlib.util.spec_from_file_location("m0029", VERSIONS_DIR / "0029_quest_progress_rows.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await _pool(
        conn,
        [
            _quest("mig-a", "daily", "total_xp", 100, reward_xp=10),
            _quest("mig-b", "daily", "activity_units", 50, params={"activity": "run_km"}),
            _quest("mig-c", "weekly", "mode_xp", 1_000_000, mode="reality", reward_coins=2),
        ],
    )
    users = [await _user(conn) for _ in range(3)]
    for n, user in enumerate(users):
        await conn.fetchval("select xp.award($1, 'run_km', $2, 'activity', $3)", user, n + 1, f"{user}:m")
    await conn.execute(module.REVERSE)
    forward = module.SCHEMA[module.SCHEMA.index("insert into engage.quest_progress") :]
    forward = forward[: forward.index(";") + 1]
    await conn.execute("create temp table carried (like engage.quest_progress)")
    await conn.execute(
        forward.replace("insert into engage.quest_progress", "insert into carried").replace(
            "from engage.quest_assignments a", "from engage.quest_assignments_rows a"
        )
    )
    mine = "select * from {} where user_id = any($1::uuid[]) order by user_id, period_key"
    expected = await conn.fetch(mine.format("engage.quest_progress"), users)
    assert len(expected) == 6 and any(
        r["open"] < cardinality for r, cardinality in ((r, len(r["quest_ids"])) for r in expected)
    )
    assert [dict(r) for r in await conn.fetch(mine.format("carried"), users)] == [dict(r) for r in expected]
