"""The analytics views that aggregate the ledger, the totals or the users are materialized:
after a refresh they answer what the plain views answered, a concurrent refresh never makes a
reader wait, and `refreshed_at` says how fresh they are."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

# The plain views these replaced, verbatim (db/functions/analytics/*.sql before 0.2).
PLAIN = {
    "daily_xp": """
        select (l.occurred_at at time zone 'UTC')::date as day, l.activity_key as activity, l.mode, l.source,
               count(*) as events, count(distinct l.user_id) as users, sum(l.xp) as xp, sum(l.units) as units
        from xp.ledger l group by 1, 2, 3, 4""",
    "level_distribution": "select t.level, count(*) as users from xp.totals t group by t.level",
    "layer_distribution": """
        select 'reality'::text as mode, t.reality_layer as layer, count(*) as users from xp.totals t group by t.reality_layer
        union all
        select 'cyber'::text, t.cyber_layer, count(*) from xp.totals t group by t.cyber_layer""",
    "user_growth": """
        select day, new_users, sum(new_users) over (order by day) as total_users
        from (select (created_at at time zone 'UTC')::date as day, count(*) as new_users from app.users group by 1) d""",
}
COLUMNS = {
    "daily_xp": "day, activity, mode, source, events, users, xp, units",
    "level_distribution": "level, users",
    "layer_distribution": "mode, layer, users",
    "user_growth": "day, new_users, total_users",
}


async def _award_some(db, users: int = 4) -> list[uuid.UUID]:
    ids = []
    for i in range(users):
        user_id = await db.fetchval(
            "insert into app.users (username, created_at) values ($1, now() - $2 * interval '1 day') returning id",
            f"mv{uuid.uuid4().hex[:12]}",
            i,
        )
        ids.append(user_id)
        await db.fetchval("select xp.award($1, 'run_km', $2, 'activity', $3)", user_id, 1 + i, f"mv:{user_id}:1")
        await db.fetchval(
            "select xp.award_fixed($1, 'cyber', $2, 'bot', $3, greatest(date_trunc('month', now()), now() - interval '2 days'))",
            user_id,
            10 * (i + 1),
            f"mv:{user_id}:2",
        )
        await db.fetchval("select xp.adjust(null, $1, 5, 'test', $2)", user_id, f"mv:{user_id}:3")
    return ids


async def test_every_aggregating_view_is_materialized_with_a_unique_key(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch(
        """select c.relname, bool_or(i.indisunique and i.indpred is null and i.indexprs is null) as keyed
           from pg_class c left join pg_index i on i.indrelid = c.oid
           where c.relnamespace = 'analytics'::regnamespace and c.relkind = 'm' group by 1"""
    )
    assert {r["relname"]: r["keyed"] for r in rows} == dict.fromkeys(PLAIN, True)


@pytest.mark.parametrize("view", sorted(PLAIN))
async def test_after_a_refresh_a_matview_answers_what_the_plain_view_did(conn: asyncpg.Connection, view: str) -> None:
    await _award_some(conn)
    assert await conn.fetchval("select analytics.refresh($1)", view) is not None
    differ = await conn.fetchval(
        f"""select count(*) from (
                (select {COLUMNS[view]} from analytics.{view} except all select {COLUMNS[view]} from ({PLAIN[view]}) p)
                union all
                (select {COLUMNS[view]} from ({PLAIN[view]}) p except all select {COLUMNS[view]} from analytics.{view})
            ) d"""
    )
    assert differ == 0
    assert await conn.fetchval(f"select count(*) from analytics.{view}") > 0


async def test_a_matview_keeps_its_answer_until_refreshed_and_refreshed_at_moves(db_pool: asyncpg.Pool) -> None:
    """Each refresh is its own transaction (as the job runs them): its now() is the freshness."""
    await _award_some(db_pool, users=1)
    await db_pool.fetchval("select analytics.refresh('daily_xp')")
    before = await db_pool.fetchrow("select max(refreshed_at) as at, sum(events) as events from analytics.daily_xp")
    await _award_some(db_pool, users=1)
    assert await db_pool.fetchval("select sum(events) from analytics.daily_xp") == before["events"]
    await db_pool.fetchval("select analytics.refresh('daily_xp')")
    after = await db_pool.fetchrow(
        "select min(refreshed_at) as oldest, max(refreshed_at) as at, sum(events) as events from analytics.daily_xp"
    )
    assert after["events"] == before["events"] + 3
    assert after["at"] > before["at"] and after["oldest"] == after["at"], "every row carries the last refresh"


async def _waits_on_a_lock(watcher: asyncpg.Connection, pid: int) -> bool:
    return bool(await watcher.fetchval("select wait_event_type = 'Lock' from pg_stat_activity where pid = $1", pid))


async def _until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never saw: {what}")


async def _refresh_held_mid_flight(db_pool: asyncpg.Pool, refresh_sql: str, reader_sql: str) -> str | None:
    """Runs `refresh_sql` on daily_xp while another session holds the ledger (so the refresh,
    once it holds its lock on the view, waits to read the ledger), then a reader's select on
    the view with lock_timeout: returns None when the reader answered, else its SQLSTATE."""
    async with db_pool.acquire() as blocker, db_pool.acquire() as refresher, db_pool.acquire() as reader:
        watcher = blocker
        blocker_tx = blocker.transaction()
        await blocker_tx.start()
        await blocker.execute("lock table xp.ledger in access exclusive mode")
        refresher_pid = await refresher.fetchval("select pg_backend_pid()")
        refreshing = asyncio.create_task(refresher.execute(refresh_sql))
        try:

            async def refresh_holds_the_view_and_waits() -> bool:
                holds = await watcher.fetchval(
                    """select exists (select from pg_locks where pid = $1 and granted
                                      and relation = 'analytics.daily_xp'::regclass)""",
                    refresher_pid,
                )
                return bool(holds) and await _waits_on_a_lock(watcher, refresher_pid)

            await _until(refresh_holds_the_view_and_waits, "the refresh holding daily_xp and waiting on the ledger")
            await reader.execute("set lock_timeout = '2s'")
            try:
                await reader.fetch(reader_sql)
                outcome = None
            except asyncpg.PostgresError as error:
                outcome = error.sqlstate
            await reader.execute("reset lock_timeout")
            assert not refreshing.done(), "the refresh was still running while the reader read"
        finally:
            await blocker_tx.rollback()
            await refreshing
    return outcome


async def test_a_concurrent_refresh_does_not_block_readers(db_pool: asyncpg.Pool) -> None:
    answered = await _refresh_held_mid_flight(
        db_pool, "select analytics.refresh('daily_xp')", "select day, sum(xp) from analytics.daily_xp group by day"
    )
    assert answered is None


async def test_a_plain_refresh_would_block_them(db_pool: asyncpg.Pool) -> None:
    """Proof the check above can fail: without CONCURRENTLY the reader waits (lock_timeout)."""
    answered = await _refresh_held_mid_flight(
        db_pool, "refresh materialized view analytics.daily_xp", "select count(*) from analytics.daily_xp"
    )
    assert answered == "55P03"


async def test_a_second_refresh_of_the_same_view_is_skipped_not_queued(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as holder:
        key = await holder.fetchval("select 'analytics.daily_xp'::regclass::oid::integer")
        await holder.execute("select pg_advisory_lock(hashtext('analytics.refresh'), $1)", key)
        try:
            assert await db_pool.fetchval("select analytics.refresh('daily_xp')") is None
            assert await db_pool.fetchval("select analytics.refresh('user_growth')") is not None
        finally:
            await holder.execute("select pg_advisory_unlock(hashtext('analytics.refresh'), $1)", key)
    assert await db_pool.fetchval("select analytics.refresh('daily_xp')") is not None


@pytest.mark.parametrize("name", ["season_leaderboard", "ledger", "nope"])
async def test_refresh_names_only_analytics_matviews(conn: asyncpg.Connection, name: str) -> None:
    with pytest.raises(asyncpg.UndefinedTableError):
        await conn.fetchval("select analytics.refresh($1)", name)
