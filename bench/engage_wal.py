"""What an award writes with engagement on: time, WAL bytes and full-page images per award, for
the three states of bench/engage.py (nothing active, 30 achievements, achievements and 10
quests per user), from EXPLAIN (ANALYZE, WAL, BUFFERS) of N awards booked in SQL.

    python bench/engage_wal.py [--awards 1500]

Builds `xpcore_engage_wal` afresh (dropped at the end): 3 x 2 x N + 30,000 users, each state
awarding its own third (every award a user's first, as in bench/engage.py), the quests drawn
set-based as there, then a CHECKPOINT and two rounds. Prints; writes nothing. The WAL counters
include the nested work (hooks, rewards): they are the backend's, taken around the statement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engage, harness, xp_load

DATABASE = "xpcore_engage_wal"
AWARDS = """
explain (analyze, wal, buffers, format json)
select count(xp.award(u::uuid, ($2::text[])[1 + i % 18], ($3::int[])[1 + i % 18], 'activity', $4 || i))
  from unnest($1::text[]) with ordinality t(u, i)
"""


async def measure(url: str, n: int) -> None:
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        await conn.execute(
            "insert into app.users (username) select 'walbench' || g from generate_series(1, $1::int) g",
            6 * n + 30_000,
        )
    finally:
        await conn.close()
    keys, _ = await engage.achievement_keys(url)
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        users = [str(r["id"]) for r in await conn.fetch("select id from app.users order by id")]
        parts = {"nothing active": users[0::3], "30 achievements": users[1::3], "achievements + quests": users[2::3]}
        await engage.activate_quests(conn, parts["achievements + quests"])
        await conn.execute("analyze")
        await conn.execute("checkpoint")
        activities = [a for a, _ in engage.HISTORY_ACTIVITIES]
        units = [u for _, u in engage.HISTORY_ACTIVITIES]
        print(f"{n:,} awards per state and round; every award a user's first", flush=True)
        for round_ in range(2):
            for state, part in parts.items():
                await conn.execute(
                    "update engage.achievements set active = (key = any($1::text[]))",
                    [] if state == "nothing active" else keys,
                )
                await conn.execute(
                    "update engage.quests set active = (key = any($1::text[]))",
                    engage.BENCH_QUESTS if state == "achievements + quests" else [],
                )
                chunk = part[round_ * n : (round_ + 1) * n]
                raw = await conn.fetchval(AWARDS, chunk, activities, units, f"wal-{time.time()}-{round_}-")
                plan = json.loads(raw)[0]
                top = plan["Plan"]
                print(
                    f"round {round_ + 1}: {state:22} {plan['Execution Time'] / n * 1000:6.0f} us/award, "
                    f"WAL {top.get('WAL Bytes', 0) / n:6,.0f} B/award, full-page images {top.get('WAL FPI', 0) / n:.2f}"
                    f"/award, buffers hit {top['Shared Hit Blocks'] / n:.0f}, "
                    f"dirtied {top['Shared Dirtied Blocks'] / n:.2f}",
                    flush=True,
                )
    finally:
        await conn.close()


async def drop(name: str) -> None:
    conn = await asyncpg.connect(xp_load.with_database(harness.database_url(), "postgres"))
    try:
        await conn.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--awards", type=int, default=1500, help="awards per state and round")
    parser.add_argument("--database", default=DATABASE, help="created afresh and dropped at the end")
    args = parser.parse_args()
    url = xp_load.fresh_database(args.database)
    try:
        asyncio.run(measure(url, args.awards))
    finally:
        asyncio.run(drop(args.database))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
