"""Times the league close of a season (issue 17) and the award throughput during it.

Builds `xpcore_bench_leagues` afresh (migrated to head), loads an ended season with `--users`
members in cohorts of 30 (reality; tiers spread over the six defaults; a placement from the
season before for each, season XP with ties and 2 % at zero, and `--idle` placed users who did
not play, who drop a tier), all set-based. Then:

1. awards without a close: `--connections` connections book `xp.award_fixed` in the current
   season for `--seconds`, each a user's first XP this season. The season being closed is the
   previous one and still open, as in a month's first minutes, and decides these users' tiers:
   each join waits in leagues.pending (the hook's cost then). Then the same for `--seconds` to
   users already awarded (the hook does nothing: the award as before leagues); then
   `leagues.join` alone for `--seconds`, into cyber Bronze (no history: seated at once, the
   join's whole cost and one tier's lock from commit to commit);
2. first-XP awards again while the league close runs as the seasons cron drives it
   (`src/leagues/jobs.py`: `leagues.close_batch` in batches, the first of `--cohorts`
   cohorts, then sized to about 2 s each, each its own transaction on one worker-pool
   connection, a pause of `--pause` x each batch's time, then the waiting joins seated): the
   close's wall time, its backend's CPU seconds (from /proc, the close's own work on a shared
   machine), and the awards/s during it;
3. `seasons.close(season)` after it (the board's final standings; its league part finds the
   season closed and returns at once).

Results are appended to bench/results/leagues.md.

    python bench/leagues_close.py --users 100000
    python bench/leagues_close.py                 # 1,000,000 users, 33,334 cohorts
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.xp_load import fresh_database
from src.db import Database
from src.leagues import jobs as leagues_jobs
from src.settings import get_settings

RESULTS = Path(__file__).resolve().parent / "results" / "leagues.md"

LOAD = """
insert into app.users (username) select 'lb' || g from generate_series(1, {users} + {idle}) g;
create temp table bench_users as
    select id, row_number() over (order by username) - 1 as n from app.users where username like 'lb%';
create index on bench_users (n);
select xp.season_for(now() - interval '1 month');
update xp.seasons set status = 'active', closed_at = null where id = '{season}';
-- cohorts of 30: cohort k is tier 1 + k % 6
insert into leagues.cohorts (season_id, mode, tier, seq, capacity, members)
select '{season}', 'reality', 1 + k % 6, k / 6 + 1, 30, least(30, {users} - k * 30)
from generate_series(0, ({users} - 1) / 30) k;
insert into leagues.members (season_id, mode, user_id, cohort_id, tier, seat, joined_at)
select '{season}', 'reality', u.id, c.id, c.tier, u.n % 30 + 1, now() - interval '20 days'
from bench_users u
join leagues.cohorts c on c.season_id = '{season}' and c.mode = 'reality'
     and c.tier = 1 + (u.n / 30) % 6 and c.seq = (u.n / 30) / 6 + 1
where u.n < {users};
insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)
select '{season}', 'reality', u.id,
       case when u.n % 50 = 0 then 0 else (hashint4(u.n::int) & 1023) end,
       timestamptz '{starts}' + ((hashint4(u.n::int + 7) & 65535) * interval '1 second')
from bench_users u where u.n < {users};
insert into leagues.placements (mode, user_id, tier, season_id)
select 'reality', u.id, case when u.n < {users} then 1 + (u.n / 30) % 6 else 1 + u.n % 6 end, '2000-01'
from bench_users u;
"""

# The loaded tables, vacuumed (hint bits, visibility map) and analysed as autovacuum would have
# done over the season: the bench server runs with autovacuum off. The tables awards write are
# analysed once they hold a few rows (measure).
VACUUM = (
    "vacuum (analyze) app.users, xp.seasons, leagues.cohorts, leagues.members, xp.season_scores, leagues.placements"
)


# first awards before the timed phases (see measure)
WARM_UP = 400


def _database(url: str) -> Database:
    """The worker's kind of pool (src/db.py: jit off, the statement timeout), on the bench
    database, with one connection: every batch runs in the same backend, whose CPU time
    `_cpu_seconds` reads."""
    settings = get_settings()
    database = dataclasses.replace(settings.database, url=url, pool_min=1, pool_max=1)
    return Database(dataclasses.replace(settings, database=database))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a local process (the close's backend): the close's own
    work, whatever else the shared machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(url: str, users: int, idle: int) -> str:
    conn = await asyncpg.connect(url)
    try:
        season = await conn.fetchval("select to_char(now() - interval '1 month', 'YYYY-MM')")
        starts = f"{season}-01 00:00:00+00"
        started = time.perf_counter()
        await conn.execute(LOAD.format(users=users, idle=idle, season=season, starts=starts))
        await conn.execute(VACUUM)
        print(
            f"loaded {users:,} members in {-(-users // 30):,} cohorts, {idle:,} idle:"
            f" {time.perf_counter() - started:.1f} s"
        )
        return str(season)
    finally:
        await conn.close()


async def awards(
    pool: asyncpg.Pool, ids: list[uuid.UUID], stop: asyncio.Event, seconds: float | None, *, first: bool = True
) -> int:
    """Awards until stopped: each to a user's first XP this season (popped from `ids`, so each
    one joins a cohort), or with `first=False` to random users of `ids` already seated."""
    done = 0

    async def lane() -> None:
        nonlocal done
        async with pool.acquire() as conn:
            while not stop.is_set() and ids:
                user = ids.pop() if first else random.choice(ids)
                await conn.fetchval("select xp.award_fixed($1, 'reality', 5, 'bot', $2)", user, uuid.uuid4().hex)
                done += 1

    lanes = [asyncio.create_task(lane()) for _ in range(pool.get_max_size())]
    if seconds is not None:
        await asyncio.sleep(seconds)
        stop.set()
    await asyncio.gather(*lanes)
    return done


async def joins(pool: asyncpg.Pool, ids: list[uuid.UUID], seconds: float) -> float:
    """leagues.join by itself, each call its own transaction: joins per second."""
    season = await pool.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
    stop = asyncio.Event()
    done = 0

    async def lane() -> None:
        nonlocal done
        async with pool.acquire() as conn:
            while not stop.is_set() and ids:
                await conn.fetchval("select leagues.join($1, 'cyber', $2)", season, ids.pop())
                done += 1

    started = time.perf_counter()
    lanes = [asyncio.create_task(lane()) for _ in range(pool.get_max_size())]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*lanes)
    return done / (time.perf_counter() - started)


async def measure(
    url: str, season: str, connections: int, seconds: float, cohorts: int, pause: float
) -> dict[str, float]:
    pool = await asyncpg.create_pool(url, min_size=connections, max_size=connections)
    assert pool is not None
    try:
        ids = [r["id"] for r in await pool.fetch("select id from app.users where username like 'lb%'")]
        random.shuffle(ids)
        # A few hundred first awards fill the tables awards write (empty after the load), then
        # analyse them as autovacuum would after its first 50 rows: plans made while they were
        # empty scan them whole, and awards got slower the longer a run went (4x by the close's
        # end: 20 % of their rate during it, all of it this bench's own artefact).
        await awards(pool, ids[-WARM_UP:], asyncio.Event(), None)
        del ids[-WARM_UP:]
        await pool.execute("analyze")
        before = list(ids)
        started = time.perf_counter()
        quiet = await awards(pool, ids, asyncio.Event(), seconds)
        quiet_rate = quiet / (time.perf_counter() - started)
        print(f"awards without a close (first XP: each join waits for the open previous season): {quiet_rate:,.0f}/s")
        seated_ids = before[len(before) - quiet :]
        started = time.perf_counter()
        seated = await awards(pool, seated_ids, asyncio.Event(), seconds, first=False)
        seated_rate = seated / (time.perf_counter() - started)
        print(f"awards without a close (users already awarded: the hook does nothing): {seated_rate:,.0f}/s")
        joins_rate = await joins(pool, list(before), seconds)
        print(f"leagues.join alone (cyber, one commit each): {joins_rate:,.0f}/s")

        closer = await asyncpg.connect(url)
        db = _database(url)
        backend = int(await db.fetchval("select pg_backend_pid()"))
        cpu_before = _cpu_seconds(backend)
        stop = asyncio.Event()
        started = time.perf_counter()
        db_started = await closer.fetchval("select clock_timestamp()")
        load_task = asyncio.create_task(awards(pool, ids, stop, None))
        pending = await closer.fetchval("select count(*) from leagues.pending")
        timings: list[float] = []
        # the close backend's CPU seconds every 0.2 s: its CPU when the results were frozen
        samples: list[tuple[float, float]] = []
        sampling = asyncio.Event()

        async def sample() -> None:
            while not sampling.is_set():
                samples.append((time.perf_counter() - started, _cpu_seconds(backend) - cpu_before))
                await asyncio.sleep(0.2)

        sampler = asyncio.create_task(sample())
        # as the seasons cron runs it: batches, each its own transaction
        results = await leagues_jobs.close_season(db, season, cohorts=cohorts, pause=pause, timings=timings)
        close_s = time.perf_counter() - started
        close_cpu = _cpu_seconds(backend) - cpu_before
        sampling.set()
        await sampler
        stop.set()
        during = await load_task
        during_rate = during / (time.perf_counter() - started)
        await db.close()
        # standings, results and placements done: the close of the last mode recorded (both modes'
        # notes phases come after both modes' other phases)
        frozen_at = await closer.fetchval(
            "select extract(epoch from max(closed_at) - $2) from leagues.closes where season_id = $1",
            season,
            db_started,
        )
        frozen_s = float(frozen_at)
        frozen_cpu = next((c for t, c in samples if t >= frozen_s), close_cpu)
        print(
            f"season close: {results:,} results and {pending:,} waiting joins seated in {close_s:.1f} s"
            f" ({len(timings) - 1} batches from {cohorts:,} cohorts on, {sum(timings):.1f} s in them, the longest"
            f" {max(timings):.1f} s; {close_cpu:.1f} CPU s in the backend), standings, results and placements"
            f" frozen after {frozen_s:.1f} s ({frozen_cpu:.1f} CPU s), the notifications after them;"
            f" awards during it: {during_rate:,.0f}/s"
        )
        started = time.perf_counter()
        await closer.fetchval("select seasons.close($1)", season)
        season_close_s = time.perf_counter() - started
        print(f"seasons.close after it (board standings): {season_close_s:.1f} s")
        await closer.close()
        return {
            "results": float(results),
            "pending": float(pending),
            "close_s": close_s,
            "quiet_rate": quiet_rate,
            "seated_rate": seated_rate,
            "joins_rate": joins_rate,
            "during_rate": during_rate,
            "season_close_s": season_close_s,
            "batches": float(len(timings) - 1),
            "batch_s": sum(timings),
            "longest_s": max(timings),
            "close_cpu": close_cpu,
            "frozen_s": frozen_s,
            "frozen_cpu": frozen_cpu,
        }
    finally:
        await pool.close()


HEADER = (
    "| date (UTC) | commit | members | cohorts | idle | frozen s | its CPU s | close with notifications s | its CPU s"
    " | batches x first size | longest batch s | pause | results | awards/s seated | awards/s first XP"
    " | awards/s first XP during the close | ratio | joins/s alone | waiting joins at the start"
    " | seasons.close s after | load after |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--idle", type=int, default=None, help="placed users without XP (default users / 20)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--database", default="xpcore_bench_leagues")
    parser.add_argument("--cohorts", type=int, default=leagues_jobs.COHORTS, help="cohorts in the close's first batch")
    parser.add_argument(
        "--pause", type=float, default=leagues_jobs.YIELD, help="pause after each batch, as a share of its time"
    )
    args = parser.parse_args()
    idle = args.users // 20 if args.idle is None else args.idle
    url = fresh_database(args.database)
    season = asyncio.run(load(url, args.users, idle))
    figures = asyncio.run(measure(url, season, args.connections, args.seconds, args.cohorts, args.pause))
    RESULTS.parent.mkdir(exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# League close (bench/leagues_close.py)\n\n")
    if "| frozen s |" not in RESULTS.read_text():
        with RESULTS.open("a") as out:
            out.write("\n## The season close in four phases (standings, cohorts, users, notes)\n\n" + HEADER)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {commit} | {args.users:,} | {-(-args.users // 30):,} | {idle:,} "
        f"| {figures['frozen_s']:.1f} | {figures['frozen_cpu']:.1f} "
        f"| {figures['close_s']:.1f} | {figures['close_cpu']:.1f} | {int(figures['batches'])} x {args.cohorts:,}"
        f" | {figures['longest_s']:.1f} | {args.pause:g} | {int(figures['results']):,} | {figures['seated_rate']:,.0f} "
        f"| {figures['quiet_rate']:,.0f} "
        f"| {figures['during_rate']:,.0f} | {figures['during_rate'] / figures['quiet_rate']:.0%} "
        f"| {figures['joins_rate']:,.0f} | {int(figures['pending']):,} | {figures['season_close_s']:.1f} "
        f"| {os.getloadavg()[0]:.1f} |\n"
    )
    with RESULTS.open("a") as out:
        out.write(row)
    print(row, end="")


if __name__ == "__main__":
    main()
