"""Times the streak hook in the award (issue 16, streaks) and the daily close job.

Builds `xpcore_streaks_bench` afresh (migrated to head) with `--users` users spread over a few
time zones, each awarded once (streak hook off, so no streak yet). Then, `--connections`
connections booking `xp.award_fixed` for `--seconds` each round:

- `first of the day`: the hook counts a day (a streak row written: the insert path), one award
  per user;
- `same day again`: users whose day already counts (the common path: one read, no write);
- `no hook`: `engage.on_streak` replaced by an empty function, the award as before streaks.

`same day again` and `no hook` alternate over `--rounds` rounds, each reporting its median, and
print the ratio. Then the close job: every user gets a live streak whose last day is the day
before yesterday (a third hold a freeze), and `engage.streak_close_due()` with batches of 1,000
(`engage.streak_close`) settle yesterday; then the same run again (already closed). Results are
appended to bench/results/streaks.md. The database is dropped at the end (`--keep` keeps it).

    python bench/streaks.py --users 100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.xp_load import fresh_database
from src.embedded import with_database

RESULTS = Path(__file__).resolve().parent / "results" / "streaks.md"
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Kiritimati"]

NO_HOOK = """
create or replace function engage.on_streak(p_user_id uuid, p_mode text, p_source text, p_at timestamptz)
returns void language plpgsql volatile as $$ begin return; end; $$;
"""


async def _awards(pool: asyncpg.Pool, users: list[uuid.UUID], seconds: float, connections: int) -> float:
    """Awards/s over `seconds`; `users` is consumed in order (each user once) when it is a
    one-pass list, else picked at random."""
    stop = time.monotonic() + seconds
    done = 0
    queue = iter(users)

    async def worker() -> None:
        nonlocal done
        async with pool.acquire() as conn:
            while time.monotonic() < stop:
                user = next(queue, None)
                if user is None:
                    return
                await conn.fetchval("select xp.award_fixed($1, 'cyber', 10, 'bot', $2)", user, uuid.uuid4().hex)
                done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.monotonic() - started)


async def main_async(args: argparse.Namespace, url: str) -> str:
    pool = await asyncpg.create_pool(url, min_size=args.connections, max_size=args.connections)
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            on_streak = await conn.fetchval(
                "select pg_get_functiondef('engage.on_streak(uuid, text, text, timestamptz)'::regprocedure)"
            )
            await conn.execute(
                "insert into app.users (username, timezone) select 'st' || g, ($2::text[])[1 + g % $3]"
                " from generate_series(1, $1) g",
                args.users,
                ZONES,
                len(ZONES),
            )
            users = [r["id"] for r in await conn.fetch("select id from app.users where username like 'st%'")]
            await conn.execute(NO_HOOK)
        # Everyone awarded once without the hook: season scores and leagues exist, no streak.
        await _awards(pool, list(users), 3600, args.connections)
        async with pool.acquire() as conn:
            await conn.execute(on_streak)
        random.shuffle(users)
        first = await _awards(pool, users, args.seconds, args.connections)
        async with pool.acquire() as conn:
            counted = await conn.fetch("select user_id from engage.streaks")
        counted_users = [r["user_id"] for r in counted]
        same, bare = [], []
        for _ in range(args.rounds):
            picks = [random.choice(counted_users) for _ in range(200_000)]
            same.append(await _awards(pool, picks, args.seconds, args.connections))
            async with pool.acquire() as conn:
                await conn.execute(NO_HOOK)
            bare.append(await _awards(pool, picks, args.seconds, args.connections))
            async with pool.acquire() as conn:
                await conn.execute(on_streak)
        same_m, bare_m = statistics.median(same), statistics.median(bare)

        async with pool.acquire() as conn:
            await conn.execute("delete from engage.streaks")
            await conn.execute(
                "insert into engage.streaks"
                " (user_id, mode, current, longest, freezes, last_day, last_active, run_start, tz)"
                " select u.id, 'reality', 5, 5, (row_number() over () % 3 = 0)::int,"
                " (now() at time zone u.timezone)::date - 2, (now() at time zone u.timezone)::date - 2,"
                " (now() at time zone u.timezone)::date - 6, u.timezone from app.users u where u.username like 'st%'"
            )
            await conn.execute("analyze engage.streaks")
            live = await conn.fetchval("select count(*) from engage.streaks where current > 0")
            started = time.monotonic()
            settled = 0
            for tz, day in await conn.fetch("select tz, day from engage.streak_close_due()"):
                while n := await conn.fetchval("select engage.streak_close($1, $2, 1000)", tz, day):
                    settled += n
            close_s = time.monotonic() - started
            started = time.monotonic()
            again = 0
            for tz, day in await conn.fetch("select tz, day from engage.streak_close_due()"):
                again += await conn.fetchval("select engage.streak_close($1, $2, 1000)", tz, day)
            again_s = time.monotonic() - started
            frozen = await conn.fetchval("select count(*) from engage.streaks where current > 0")
    finally:
        await pool.close()

    return "\n".join(
        [
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {args.users:,} users, {args.connections} connections,"
            f" {args.seconds:g} s x {args.rounds} rounds",
            "",
            "| scenario | awards/s | vs no hook |",
            "|---|---:|---:|",
            f"| first of the day (streak row written) | {first:,.0f} | {first / bare_m:.0%} |",
            f"| same day again (read only) | {same_m:,.0f} | {same_m / bare_m:.0%} |",
            f"| no hook | {bare_m:,.0f} | 100% |",
            "",
            f"rounds: same day {', '.join(f'{x:,.0f}' for x in same)}; no hook {', '.join(f'{x:,.0f}' for x in bare)}",
            "",
            f"close job: {live:,} live streaks over {len(ZONES)} time zones, yesterday missed: {settled:,} settled"
            f" ({frozen:,} kept by a freeze) in {close_s:.2f} s ({settled / close_s:,.0f}/s);"
            f" run again: {again} settled in {again_s * 1000:.0f} ms",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="xpcore_streaks_bench")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = fresh_database(args.database)
    try:
        report = asyncio.run(main_async(args, url))
    finally:
        if not args.keep:
            server = with_database(harness.database_url(), "postgres")
            harness.run_sql(server, f'drop database if exists "{args.database}" with (force)')
    print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(report + "\n")


if __name__ == "__main__":
    main()
