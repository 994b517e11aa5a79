"""Load a benchmark database: N users and M ledger rows with totals, season scores and
idempotency rows consistent with the ledger, all set-based in SQL.

    python bench/xp_load.py --users 1000000 --events 10000000 --database xpcore_bench_10m

The database is created and migrated first; a loaded database is reused (bench_meta says what
it holds). Events fall in the current season (this month, up to now) over both modes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import harness
from src.embedded import with_database

# (name, SQL, which of (users, events) it takes as $1, $2 ...)
STEPS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "users",
        """
        insert into app.users (username, display_name, email)
        select 'bench' || g, 'Bench ' || g, 'bench' || g || '@bench.example'
        from generate_series(1, $1::int) g
        """,
        ("users",),
    ),
    (
        "ledger",
        """
        with u as (select id, row_number() over () as n from app.users where username like 'bench%'),
        a as (select key, mode, xp_per_unit, row_number() over (order by key) - 1 as n, count(*) over () as total
              from xp.activity_types),
        g as (
            select g as n, 1 + (hashint4(g)::bigint & 2147483647) % $1::int as user_n,
                   (hashint4(g + 7)::bigint & 2147483647) as r
            from generate_series(1, $2::int) g
        )
        insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, season_id)
        select u.id, a.key, 'bot', a.mode, 1, greatest(floor(a.xp_per_unit)::int, 1), 'load:' || g.n,
               date_trunc('month', now())
                   + (g.r % greatest(extract(epoch from now() - date_trunc('month', now()))::bigint, 1))
                   * interval '1 second',
               to_char(now() at time zone 'UTC', 'YYYY-MM')
        from g
        join u on u.n = g.user_n
        join a on a.n = g.r % a.total
        """,
        ("users", "events"),
    ),
    (
        "idempotency",
        """
        insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)
        select 'bot', idempotency_key, user_id, id, jsonb_build_object('event_id', id, 'xp_awarded', xp)
        from xp.ledger where idempotency_key like 'load:%'
        """,
        (),
    ),
    (
        "totals",
        """
        insert into xp.totals (user_id, total_xp, reality_xp, cyber_xp, reached_at)
        select user_id, sum(xp), coalesce(sum(xp) filter (where mode = 'reality'), 0),
               coalesce(sum(xp) filter (where mode = 'cyber'), 0), max(occurred_at)
        from xp.ledger group by user_id
        on conflict (user_id) do nothing
        """,
        (),
    ),
    ("levels", "select xp.recompute_levels()", ()),
    (
        "season scores",
        """
        insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)
        select season_id, mode, user_id, sum(xp), max(occurred_at)
        from xp.ledger where mode is not null group by season_id, mode, user_id
        on conflict do nothing
        """,
        (),
    ),
    ("vacuum", "vacuum analyze", ()),  # what autovacuum would have done (it may be off)
]


async def load(url: str, users: int, events: int) -> None:
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        await conn.execute("set synchronous_commit = off; set maintenance_work_mem = '512MB'; set work_mem = '256MB'")
        await conn.execute("create table bench_meta (users int, events int, loaded_at timestamptz)")
        await conn.execute("select xp.season_for(now())")
        sizes = {"users": users, "events": events}
        for name, sql, params in STEPS:
            started = time.perf_counter()
            await conn.execute(sql, *(sizes[p] for p in params))
            print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)
        await conn.execute("insert into bench_meta values ($1, $2, now())", users, events)
    finally:
        await conn.close()


def prepare(database: str, users: int, events: int) -> str:
    """A migrated database holding exactly this load: reused when it already does, else rebuilt."""
    server = harness.database_url()
    url = with_database(server, database)

    async def holds_this_load() -> bool:
        try:
            conn = await asyncpg.connect(url)
        except asyncpg.InvalidCatalogNameError:
            return False
        try:
            if await conn.fetchval("select to_regclass('public.bench_meta')") is None:
                return False
            return await conn.fetchval("select users = $1 and events = $2 from bench_meta", users, events) is True
        finally:
            await conn.close()

    if asyncio.run(holds_this_load()):
        print(f"reusing {database}: {users:,} users, {events:,} events")
        from tests.conftest import migrate

        migrate(url)
        asyncio.run(into_current_season(url))
        return url
    url = fresh_database(database)
    started = time.perf_counter()
    asyncio.run(load(url, users, events))
    print(f"loaded {database} in {time.perf_counter() - started:.0f} s")
    return url


async def into_current_season(url: str) -> None:
    """The boards measure the current season: a load built in an earlier month has its season
    scores moved into this one (the ledger keeps its months; only the boards read the scores)."""
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        current = await conn.fetchval("select (xp.season_for(now())).id")
        if await conn.fetchval("select not exists (select 1 from xp.season_scores where season_id = $1)", current):
            started = time.perf_counter()
            moved = await conn.execute(
                "update xp.season_scores set season_id = $1"
                " where season_id = (select max(season_id) from xp.season_scores)",
                current,
            )
            await conn.execute("vacuum analyze xp.season_scores")
            print(f"  season scores moved into {current}: {moved} in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


def fresh_database(name: str, template: str | None = None) -> str:
    """Drop and recreate `name` (empty, or a copy of `template`: a file copy, which must have no
    open connection), migrated to head."""
    server = harness.database_url()

    async def create() -> None:
        conn = await asyncpg.connect(with_database(server, "postgres"))
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
            await conn.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
        finally:
            await conn.close()

    asyncio.run(create())
    url = with_database(server, name)
    from tests.conftest import migrate

    migrate(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--database", default="xpcore_bench_10m")
    args = parser.parse_args()
    prepare(args.database, args.users, args.events)


if __name__ == "__main__":
    main()
