"""BI at scale on the loaded database (1,000,000 users, 10,000,000 ledger rows):

    python bench/analytics.py

- each dashboard query on the plain view (the aggregate computed when queried, as before) and
  on the materialized view (target: at most 200 ms);
- each materialized view's concurrent refresh time (`analytics.refresh`, as the job runs it);
- readers during a refresh: reader connections loop dashboard queries on the matviews while
  `daily_xp` (the longest) refreshes concurrently, a watcher samples pg_stat_activity for
  readers waiting on a lock; then the same with a plain `refresh materialized view`, to show
  what the check would see if readers were blocked.
Writes bench/results/analytics.md. Connections use the server's defaults (jit, parallel
workers), as a BI tool's would.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import xp_load
from tests.sql.test_analytics_matviews import PLAIN  # the plain views before they were materialized

RESULTS = Path(__file__).resolve().parent / "results"

# Dashboard panels: (name, the view it reads, SQL with {v} for the view)
DASHBOARD = [
    (
        "daily XP by mode, last 30 days",
        "daily_xp",
        "select day, mode, sum(xp) as xp, sum(events) as events from {v}"
        " where day >= current_date - 30 group by day, mode order by day, mode",
    ),
    (
        "top activities by XP, last 7 days",
        "daily_xp",
        "select activity, sum(xp) as xp, sum(users) as user_days from {v}"
        " where day >= current_date - 7 group by activity order by xp desc limit 10",
    ),
    ("level distribution", "level_distribution", "select level, users from {v} order by level"),
    ("layer distribution", "layer_distribution", "select mode, layer, users from {v} order by mode, layer"),
    (
        "user growth, last 90 days",
        "user_growth",
        "select day, new_users, total_users from {v} where day >= current_date - 90 order by day",
    ),
]


# Views that stay plain (one row per user, read a page at a time): measured as they are.
STAYING_PLAIN = [
    ("all-time board, top 100", "select * from analytics.all_time_leaderboard order by rank limit 100"),
    (
        "current season's reality board, top 100",
        "select * from analytics.season_leaderboard where season_id = to_char(now() at time zone 'UTC', 'YYYY-MM')"
        " and mode = 'reality' order by rank limit 100",
    ),
    ("achievement unlocks", "select * from analytics.achievement_unlocks"),
    ("league populations", "select * from analytics.league_populations"),
]


def plain_sql(view: str) -> str:
    return f"({PLAIN[view]}) plain_{view}"


async def timed(conn: asyncpg.Connection, sql: str) -> float:
    started = time.perf_counter()
    await conn.fetch(sql)
    return (time.perf_counter() - started) * 1000


async def dashboard(url: str, plain_runs: int, mv_runs: int) -> list[tuple[str, list[float], list[float]]]:
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        rows = []
        for name, view, sql in DASHBOARD:
            plain = [await timed(conn, sql.format(v=plain_sql(view))) for _ in range(plain_runs)]
            mv = [await timed(conn, sql.format(v=f"analytics.{view}")) for _ in range(mv_runs)]
            print(f"  {name}: plain {statistics.median(plain):,.0f} ms, matview {statistics.median(mv):.2f} ms")
            rows.append((name, plain, mv))
        return rows
    finally:
        await conn.close()


async def staying_plain(url: str, runs: int) -> list[tuple[str, list[float]]]:
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        rows = []
        for name, sql in STAYING_PLAIN:
            taken = [await timed(conn, sql) for _ in range(runs)]
            print(f"  {name}: {statistics.median(taken):,.1f} ms")
            rows.append((name, taken))
        return rows
    finally:
        await conn.close()


async def refreshes(url: str, runs: int) -> dict[str, list[float]]:
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        views = [r[0] for r in await conn.fetch("select matviewname from pg_matviews where schemaname = 'analytics'")]
        taken: dict[str, list[float]] = {}
        for view in sorted(views):
            taken[view] = [await conn.fetchval("select analytics.refresh($1)", view) for _ in range(runs)]
            sizes = await conn.fetchval(f"select count(*) from analytics.{view}")
            print(f"  refresh {view} ({sizes:,} rows): {', '.join(f'{ms:,.0f}' for ms in taken[view])} ms")
        return taken
    finally:
        await conn.close()


async def readers_during(url: str, refresh_sql: str, readers: int) -> dict[str, float]:
    """Readers loop the matview panels while `refresh_sql` runs; a watcher samples every 10 ms
    whether any reader waits on a lock. Returns the refresh's ms, the readers' max and p99 ms,
    the queries they answered and the lock waits seen."""
    refresher = await asyncpg.connect(url, command_timeout=None)
    conns = [await asyncpg.connect(url, command_timeout=None) for _ in range(readers)]
    watcher = await asyncpg.connect(url)
    pids = [await c.fetchval("select pg_backend_pid()") for c in conns]
    latencies: list[float] = []
    waits = 0
    done = asyncio.Event()

    async def read(conn: asyncpg.Connection, offset: int) -> None:
        i = offset
        while not done.is_set():
            _, view, sql = DASHBOARD[i % len(DASHBOARD)]
            latencies.append(await timed(conn, sql.format(v=f"analytics.{view}")))
            i += 1
            await asyncio.sleep(0.005)  # a dashboard, not a load test: leave the refresh its CPU

    async def watch() -> None:
        nonlocal waits
        while not done.is_set():
            waits += await watcher.fetchval(
                "select count(*) from pg_stat_activity where pid = any($1::int[]) and wait_event_type = 'Lock'", pids
            )
            await asyncio.sleep(0.01)

    try:
        tasks = [asyncio.create_task(read(c, i)) for i, c in enumerate(conns)] + [asyncio.create_task(watch())]
        await asyncio.sleep(0.5)  # readers running before the refresh starts
        started = time.perf_counter()
        await refresher.execute(refresh_sql)
        refresh_ms = (time.perf_counter() - started) * 1000
        done.set()
        await asyncio.gather(*tasks)
    finally:
        for c in [refresher, watcher, *conns]:
            await c.close()
    ordered = sorted(latencies)
    return {
        "refresh_ms": refresh_ms,
        "max_ms": ordered[-1],
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "queries": len(ordered),
        "lock_waits": waits,
    }


async def kind_of_daily_xp(url: str) -> str | None:
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        kind: str | None = await conn.fetchval(
            "select relkind::text from pg_class where oid = to_regclass('analytics.daily_xp')"
        )
        return kind
    finally:
        await conn.close()


async def shape(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {
            "ledger": await conn.fetchval("select count(*) from xp.ledger"),
            "users": await conn.fetchval("select count(*) from app.users"),
            "days": await conn.fetchval("select count(distinct day) from analytics.daily_xp"),
        }
    finally:
        await conn.close()


def report(
    upgrade_s: float | None,
    data: dict[str, int],
    panels: list[tuple[str, list[float], list[float]]],
    plain_views: list[tuple[str, list[float]]],
    refresh: dict[str, list[float]],
    concurrent: dict[str, float],
    plain_refresh: dict[str, float],
    readers: int,
) -> str:
    lines = [
        "# Analytics at scale (bench/analytics.py)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, database `xpcore_bench_10m`:"
        f" {data['ledger']:,} ledger rows,"
        f" {data['users']:,} users, the events over {data['days']} UTC days (the load puts them in the current month"
        " up to now). 2 shared cores; server defaults (jit, parallel workers), as a BI tool connects.",
        "",
    ]
    if upgrade_s is not None:
        lines += [
            f"Upgrade of this database from the plain views (builds the four matviews with data): {upgrade_s:.1f} s.",
            "",
        ]
    lines += [
        "## Dashboard queries, plain view vs materialized view (target <= 200 ms)",
        "",
        "| panel | plain view, median (ms) | matview, median (ms) | matview, max (ms) | runs plain / matview |",
        "|---|---|---|---|---|",
    ]
    for name, plain, mv in panels:
        lines.append(
            f"| {name} | {statistics.median(plain):,.0f} | {statistics.median(mv):.2f} | {max(mv):.2f}"
            f" | {len(plain)} / {len(mv)} |"
        )
    lines += [
        "",
        "Views that stay plain (computed when queried; one row per user, read a page at a time, or small tables):",
        "",
        "| query | median (ms) | max (ms) | runs |",
        "|---|---|---|---|",
    ]
    for name, taken in plain_views:
        lines.append(f"| {name} | {statistics.median(taken):,.1f} | {max(taken):,.1f} | {len(taken)} |")
    lines += [
        "",
        "## Refresh (concurrently, as the job runs it)",
        "",
        "| view | runs (ms) |",
        "|---|---|",
    ]
    for view, runs in refresh.items():
        lines.append(f"| {view} | {', '.join(f'{ms:,.0f}' for ms in runs)} |")
    lines += [
        "",
        f"## Readers during a refresh of daily_xp ({readers} connections looping the panels on the matviews)",
        "",
        "| refresh | refresh took (ms) | reader queries | reader p99 (ms) | reader max (ms) | lock waits seen |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in (("concurrently (the job)", concurrent), ("plain `refresh materialized view`", plain_refresh)):
        lines.append(
            f"| {name} | {r['refresh_ms']:,.0f} | {r['queries']:,.0f} | {r['p99_ms']:.1f} | {r['max_ms']:,.1f}"
            f" | {r['lock_waits']:,.0f} |"
        )
    lines += [
        "",
        "Lock waits: samples (every 10 ms) of a reader in pg_stat_activity with wait_event_type = Lock.",
        "A plain refresh holds ACCESS EXCLUSIVE for its whole run, so readers queue behind it; the",
        "concurrent one holds EXCLUSIVE, which readers' ACCESS SHARE does not conflict with.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="xpcore_bench_10m")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--plain-runs", type=int, default=3)
    parser.add_argument("--matview-runs", type=int, default=50)
    parser.add_argument("--refresh-runs", type=int, default=2)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()

    from bench import harness
    from src.embedded import with_database

    before = asyncio.run(kind_of_daily_xp(with_database(harness.database_url(), args.database)))
    started = time.perf_counter()
    url = xp_load.prepare(args.database, args.users, args.events)  # migrates to this branch's head
    upgrade_s = time.perf_counter() - started if before == "v" else None
    if upgrade_s is not None:
        print(f"upgraded from the plain views in {upgrade_s:.1f} s")
    data = asyncio.run(shape(url))
    print("dashboard queries:")
    panels = asyncio.run(dashboard(url, args.plain_runs, args.matview_runs))
    print("views that stay plain:")
    plain_views = asyncio.run(staying_plain(url, 5))
    print("refresh times:")
    refresh = asyncio.run(refreshes(url, args.refresh_runs))
    print("readers during a concurrent refresh of daily_xp:")
    concurrent = asyncio.run(readers_during(url, "select analytics.refresh('daily_xp')", args.readers))
    print(f"  {concurrent}")
    print("readers during a plain refresh of daily_xp (what blocking looks like):")
    plain_refresh = asyncio.run(readers_during(url, "refresh materialized view analytics.daily_xp", args.readers))
    print(f"  {plain_refresh}")
    text = report(upgrade_s, data, panels, plain_views, refresh, concurrent, plain_refresh, args.readers)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "analytics.md").write_text(text)
    print(f"wrote {RESULTS / 'analytics.md'}")


if __name__ == "__main__":
    main()
