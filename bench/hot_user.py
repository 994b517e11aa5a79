"""One hot user: many concurrent awards for ONE user (a Discord bot crediting one member in bursts).

    python bench/hot_user.py                      # 64 connections, 4,000 awards, 20% replays
    python bench/hot_user.py --workers 2 --awards 8000

Starts the real app (uvicorn on `src.app:create_app`, as bench/run.py does) on a fresh
database, creates one user, an xp:write API key and an uncapped activity (10 XP an award), then
drives `--connections` concurrent HTTP connections that award that one user. `--replays` of the
requests re-send the key of an award answered earlier (must answer 200 with the original
answer). Prints awards/s and p50/p99 latency, then checks, against the database:

- every fresh award saw its own prefix of the total: the fresh answers' total_xp are exactly
  10, 20, ..., 10 x n (nothing lost, nothing booked twice, each answer as if applied in order);
- level and leveled_up of each answer follow from its total as a solo award's would;
- every replay answered the original answer;
- the user's totals equal the sum of the ledger, and the ledger has one row per fresh award.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, xp_load

PORT = 8121
XP_PER_AWARD = 10


async def fixtures(url: str) -> tuple[str, str]:
    """The hot user's id and an xp:write API key; an uncapped activity `bench_hot`."""
    from src.auth.api_keys import create as create_api_key
    from src.db import Database
    from src.settings import load_settings

    db = Database(load_settings())
    try:
        pool = await db.pool()
        user_id = await pool.fetchval(
            "insert into app.users (username, discord_id) values ('hot', '424242424242') returning id::text"
        )
        await pool.execute(
            "insert into xp.activity_types (key, name, unit, xp_per_unit, mode, daily_cap_units, self_report)"
            " values ('bench_hot', 'Hot user bench', 'unit', 1, 'reality', null, false) on conflict do nothing"
        )
        key = await create_api_key(db, load_settings(), "bench-hot", ["xp:write"], None)
    finally:
        await db.close()
    return str(user_id), str(key["key"])


async def drive(
    base: str, key: str, user_id: str, total: int, connections: int, replays: float, discord_id: str | None = None
) -> dict[str, Any]:
    import aiohttp

    run = f"{int(time.time())}-{random.randrange(10**9)}"
    sent = 0
    keys: list[str] = []  # every key sent so far; a replay re-sends one of them, maybe still in flight
    answers: list[tuple[str, int, str]] = []  # (key, status, body)
    latencies: list[float] = []
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    user = {"discord_id": discord_id} if discord_id else {"id": user_id}

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        while sent < total:
            sent += 1
            if keys and random.random() < replays:
                ikey = keys[random.randrange(len(keys))]
            else:
                ikey = f"hot-{run}-{sent}"
                keys.append(ikey)
            body = {"user": user, "activity": "bench_hot", "units": XP_PER_AWARD, "idempotency_key": ikey}
            started = time.perf_counter()
            while True:  # a rate-limited request is sent again after Retry-After, as a bot does
                async with session.post(f"{base}/api/v1/xp/events", data=json.dumps(body), headers=headers) as response:
                    text = await response.text()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                if status != 429:
                    break
                await asyncio.sleep(float(retry_after or 1))
            latencies.append(time.perf_counter() - started)
            answers.append((ikey, status, text))

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(one(session) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    # Per key: exactly one 201 (whichever was booked first), every other an equal 200 replay.
    problems: list[str] = []
    first: dict[str, dict[str, Any]] = {}
    for ikey, status, text in answers:
        if status == 201:
            if ikey in first:
                problems.append(f"{ikey}: booked twice")
            first[ikey] = json.loads(text)
        elif status != 200:
            problems.append(f"{ikey}: {status} {text[:200]}")
    replayed_ok = 0
    for ikey, status, text in answers:
        if status == 200:
            if ikey not in first or json.loads(text) != {**first[ikey], "replayed": True}:
                problems.append(f"replay of {ikey}: not the original answer: {text[:200]}")
            else:
                replayed_ok += 1
    return {
        "elapsed": elapsed,
        "latencies": latencies,
        "fresh": list(first.values()),
        "replayed_ok": replayed_ok,
        "problems": problems,
    }


async def check(url: str, user_id: str, fresh: list[dict[str, Any]]) -> list[str]:
    import asyncpg

    problems: list[str] = []
    totals = sorted(a["total_xp"] for a in fresh)
    if totals != [XP_PER_AWARD * (i + 1) for i in range(len(fresh))]:
        problems.append("the fresh answers' total_xp are not exactly 10, 20, ..., 10 x n")
    conn = await asyncpg.connect(url)
    try:
        levels = (
            {a["total_xp"]: await conn.fetchval("select xp.level_for($1)", a["total_xp"]) for a in fresh}
            if len(fresh) <= 20_000
            else {}
        )
        row = await conn.fetchrow(
            "select t.total_xp, t.reality_xp, t.level,"
            " (select coalesce(sum(xp), 0) from xp.ledger l where l.user_id = t.user_id) as ledger_xp,"
            " (select count(*) from xp.ledger l where l.user_id = t.user_id) as ledger_rows"
            " from xp.totals t where t.user_id = $1::uuid",
            user_id,
        )
    finally:
        await conn.close()
    previous = 1
    for a in sorted(fresh, key=lambda a: a["total_xp"]):
        if levels and a["level"] != levels[a["total_xp"]]:
            problems.append(f"total {a['total_xp']}: level {a['level']}, a solo award says {levels[a['total_xp']]}")
        if a["leveled_up"] != (a["level"] > previous):
            problems.append(f"total {a['total_xp']}: leveled_up {a['leveled_up']} after level {previous}")
        previous = a["level"]
    if row is None:
        problems.append("the user has no totals row")
    else:
        if row["total_xp"] != row["ledger_xp"] or row["reality_xp"] != row["ledger_xp"]:
            problems.append(f"totals {row['total_xp']} / {row['reality_xp']} but the ledger sums to {row['ledger_xp']}")
        if row["ledger_rows"] != len(fresh):
            problems.append(f"{row['ledger_rows']} ledger rows for {len(fresh)} fresh awards")
        if row["total_xp"] != XP_PER_AWARD * len(fresh):
            problems.append(f"total {row['total_xp']} for {len(fresh)} fresh awards")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--awards", type=int, default=4000, help="requests to send (replays included)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--replays", type=float, default=0.2, help="share of requests that replay an earlier key")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--discord", action="store_true", help="name the user by discord_id, as a bot does")
    parser.add_argument(
        "--key-limit", type=int, default=100_000_000, help="API_KEY_MAX_PER_MINUTE (the default setting is 6,000)"
    )
    parser.add_argument("--warmup", type=int, default=300, help="awards sent (to another user) before measuring")
    args = parser.parse_args()

    env = harness.app_env(
        DATABASE_POOL_MAX=os.environ.get("DATABASE_POOL_MAX", "20"), API_KEY_MAX_PER_MINUTE=str(args.key_limit)
    )
    url = xp_load.fresh_database("xpcore_bench_hot")
    os.environ["DATABASE_URL"] = url
    user_id, key = asyncio.run(fixtures(url))
    warm_user, _ = asyncio.run(_other_user(url))
    base = f"http://127.0.0.1:{PORT}"
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            harness.server(
                harness.uvicorn("src.app:create_app", PORT, factory=True, workers=args.workers),
                {**env, "DATABASE_URL": url},
                f"{base}/health",
            )
        )
        if args.warmup:
            asyncio.run(drive(base, key, warm_user, args.warmup, args.connections, 0))
        result = asyncio.run(
            drive(
                base,
                key,
                user_id,
                args.awards,
                args.connections,
                args.replays,
                "424242424242" if args.discord else None,
            )
        )
    problems = result["problems"] + asyncio.run(check(url, user_id, result["fresh"]))
    latencies = sorted(result["latencies"])
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    n = len(latencies)
    print(
        f"one hot user: {n:,} awards ({len(result['fresh']):,} fresh, {result['replayed_ok']:,} replays) over "
        f"{args.connections} connections, {args.workers} worker(s): {n / result['elapsed']:,.0f} awards/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    if problems:
        print(f"{len(problems)} PROBLEMS:")
        for problem in problems[:20]:
            print(f"  {problem}")
        return 1
    print("checks: every answer exact (totals in order, levels, replays), totals = ledger")
    return 0


async def _other_user(url: str) -> tuple[str, None]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("insert into app.users (username) values ('warm') returning id::text")), None
    finally:
        await conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
