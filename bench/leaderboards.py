"""Leaderboard figures on the loaded database (1,000,000 users with season scores in both modes):

    python bench/leaderboards.py --duration 15

- rank snapshot rebuild time, per board (the worker publishes each board on its own);
- own rank and around-me latency at the database (p50/p99, one connection, round trip included);
- own rank, around-me and top-100 pages over HTTP (wrk, 32 connections, one uvicorn worker with
  the default pool of 10 connections, the same for the bare baseline; `--workers` changes both),
  as 5,000 signed-in users spread over the board;
- the same operations on Redis sorted sets (ZREVRANGE 0 99, ZREVRANK) over the same scores,
  as the reference;
- staleness: a score change shows in own-rank answers after at most cadence + the board's
  rebuild time (the worker's two boards are staggered), idle and while wrk drives awards.
`--quick` runs only the baseline, own rank and around-me over HTTP, and writes nothing.
Writes bench/results/leaderboards.md.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import harness, xp_load
from bench.run import APP_PORT, BASELINE_PORT, fixtures

RESULTS = Path(__file__).resolve().parent / "results"
CADENCE_S = 5  # the rebuild cron (src/worker/__init__.py)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def rebuild_boards(url: str) -> dict[str, float]:
    """Rebuild each board of the current season as the worker does: one at a time (its two cron
    jobs are staggered), one transaction each. Returns each board's seconds."""
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        season = await conn.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
        seconds = {}
        for mode in ("reality", "cyber"):
            started = time.perf_counter()
            await conn.fetchval("select xp.rebuild_board($1, $2)", season, mode)
            seconds[mode] = time.perf_counter() - started
        return seconds
    finally:
        await conn.close()


async def database_figures(url: str, samples: int) -> tuple[dict[str, float], dict[str, tuple[float, float]], list]:
    rebuild = await rebuild_boards(url)
    conn = await asyncpg.connect(url, command_timeout=None, server_settings={"jit": "off"})
    try:
        season = await conn.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
        users = [
            r[0]
            for r in await conn.fetch(
                "select user_id from xp.season_scores where season_id = $1 and mode = 'reality'"
                " order by random() limit $2",
                season,
                samples,
            )
        ]
        figures = {}
        for label, sql in (
            ("own rank", "select xp.season_standing($1, 'reality', $2)"),
            ("around-me (5 each side)", "select seasons.around($1, 'reality', $2, 5)"),
        ):
            timings = []
            for user in users:
                t = time.perf_counter()
                await conn.fetchval(sql, season, user)
                timings.append((time.perf_counter() - t) * 1000)
            figures[label] = (statistics.median(timings), pct(timings, 0.99))
        scores = await conn.fetch(
            "select user_id::text, xp from xp.season_scores where season_id = $1 and mode = 'reality'", season
        )
        return rebuild, figures, scores
    finally:
        await conn.close()


async def redis_figures(redis_url: str, scores: list, samples: int) -> dict[str, tuple[float, float, float]]:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    key = "xpcore:bench:board"
    try:
        await redis.delete(key)
        for start in range(0, len(scores), 10_000):
            await redis.zadd(key, {r["user_id"]: r["xp"] for r in scores[start : start + 10_000]})
        members = [r["user_id"] for r in random.sample(scores, min(samples, len(scores)))]
        out = {}
        for label, call in (
            ("ZREVRANGE 0 99 WITHSCORES", lambda m: redis.zrevrange(key, 0, 99, withscores=True)),
            ("ZREVRANK", lambda m: redis.zrevrank(key, m)),
        ):
            timings = []
            started = time.perf_counter()
            for member in members:
                t = time.perf_counter()
                await call(member)
                timings.append((time.perf_counter() - t) * 1000)
            out[label] = (
                statistics.median(timings),
                pct(timings, 0.99),
                len(members) / (time.perf_counter() - started),
            )
        return out
    finally:
        await redis.delete(key)
        await redis.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, for the baseline and the app")
    parser.add_argument("--quick", action="store_true", help="only the HTTP reads (own rank, around-me, baseline)")
    args = parser.parse_args()
    harness.require_wrk()
    env = harness.app_env()
    url = xp_load.prepare(f"xpcore_bench_{args.events // 1_000_000}m", args.users, args.events)
    os.environ["DATABASE_URL"] = url

    if not args.quick:
        rebuild, db, scores = asyncio.run(database_figures(url, args.samples))
        reference = asyncio.run(redis_figures(env["REDIS_URL"], scores, args.samples))
    # The ceiling for any read endpoint on this machine today: bare Litestar + asyncpg, one
    # primary-key read, no auth or middleware (bench/baseline.py), in the same run.
    with harness.server(
        harness.uvicorn("bench.baseline:app", BASELINE_PORT, workers=args.workers),
        {**env, "DATABASE_URL": url},
        f"http://127.0.0.1:{BASELINE_PORT}/read?user=1",
    ):
        ceiling = harness.run_wrk(
            "baseline: bare GET, one primary-key read",
            f"http://127.0.0.1:{BASELINE_PORT}",
            "baseline_read.lua",
            duration=args.duration,
        )
    with tempfile.TemporaryDirectory() as tmp:
        users_file, tokens_file, key = asyncio.run(fixtures(url, 10_000, Path(tmp), tokens_wanted=5_000))
        base = f"http://127.0.0.1:{APP_PORT}"
        wrk_env = {"XP_TOKENS": str(tokens_file), "XP_MODE": "reality", "XP_USERS": str(users_file), "XP_KEY": key}
        with harness.server(
            harness.uvicorn("src.app:create_app", APP_PORT, factory=True, workers=args.workers),
            {**env, "DATABASE_URL": url},
            f"{base}/health",
        ):
            http = [
                ceiling,
                harness.run_wrk("GET own rank (reality)", base, "own_rank.lua", duration=args.duration, env=wrk_env),
                harness.run_wrk(
                    "GET around-me (reality, 5 each side)", base, "around_me.lua", duration=args.duration, env=wrk_env
                ),
            ]
            if args.quick:
                print(harness.table(http))
                return 0
            http.append(
                harness.run_wrk("GET top-100 page (reality)", base, "top100.lua", duration=args.duration, env=wrk_env)
            )
            # staleness under a steady award load: time rebuilds while wrk drives POST /xp/events
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                load = pool.submit(
                    harness.run_wrk,
                    "POST /xp/events during rebuilds",
                    base,
                    "xp_award.lua",
                    duration=args.duration,
                    env=wrk_env,
                )
                time.sleep(1)
                under_load: list[float] = []
                while not load.done() and len(under_load) < 6:
                    under_load += asyncio.run(rebuild_boards(url)).values()
                http.append(load.result())
    slowest = max(rebuild.values())
    lines = [
        f"- rank snapshot rebuild, {len(scores):,} users in the reality board: "
        + ", ".join(f"{mode} {seconds:.1f} s" for mode, seconds in rebuild.items()),
        f"- staleness of own-rank answers: at most {CADENCE_S} s cadence + {slowest:.1f} s rebuild"
        f" = {CADENCE_S + slowest:.1f} s (target <= 10 s)",
        f"- under a steady award load ({http[-1].rps:,.0f} awards/s): board rebuilds took"
        f" {', '.join(f'{t:.1f}' for t in under_load)} s, so staleness <= {CADENCE_S + max(under_load):.1f} s",
        "",
        "At the database (one connection, round trip included):",
        "",
        "| operation | p50 ms | p99 ms |",
        "|---|---:|---:|",
        *[f"| {name} | {p50:.2f} | {p99:.2f} |" for name, (p50, p99) in db.items()],
        "",
        "Redis sorted set on the same scores (reference, redis-py, one connection):",
        "",
        "| operation | p50 ms | p99 ms | ops/s |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {p50:.2f} | {p99:.2f} | {ops:,.0f} |" for name, (p50, p99, ops) in reference.items()],
        "",
        f"Over HTTP (wrk -t1 -c32, {args.workers} uvicorn worker(s) for the baseline and the app):",
        "",
        harness.table(http),
        "",
        f"- own rank at {http[1].rps / ceiling.rps:.0%} and around-me at {http[2].rps / ceiling.rps:.0%} of the bare"
        f" read baseline's rate (target: 3,000 req/s each; the bare baseline itself did {ceiling.rps:,.0f})",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "leaderboards.md").write_text(f"# Leaderboards, {stamp}\n\n{report}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
