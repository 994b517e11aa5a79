"""The hot-path benchmarks of the XP engine, with the minimal baseline measured in the same run.

    make bench            # or: python bench/run.py --duration 10 --rounds 3 --connections 32

1. baseline: bare Litestar + asyncpg doing one insert and one update (bench/baseline.py);
2. POST /api/v1/xp/events with an API key and GET /api/v1/users/me/profile, on an empty
   database and on one loaded with 1,000,000 users and 10,000,000 ledger rows (bench/xp_load.py,
   built once and reused);
3. prints req/s and latency percentiles, the ratios the targets are about, and writes them
   to bench/results/xp.md.
The three servers (baseline, app on the empty database, app on the loaded one) run side by
side with one uvicorn worker each; the award scenarios alternate over several rounds and each
reports its median round. wrk runs beside them with one thread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, xp_load

BASELINE_PORT, APP_PORT = 8101, 8102
RESULTS = Path(__file__).resolve().parent / "results"


async def fixtures(url: str, users_wanted: int, workdir: Path, tokens_wanted: int = 500) -> tuple[Path, Path, str]:
    """Files of user ids and access tokens (for the first `tokens_wanted` users) for wrk, and an
    xp:write API key, for one database."""
    from src.auth.api_keys import create as create_api_key
    from src.auth.session import start_session
    from src.db import Database
    from src.settings import load_settings

    settings = load_settings()
    db = Database(settings)
    try:
        pool = await db.pool()
        have = await pool.fetchval("select count(*) from app.users")
        if have < users_wanted:
            await pool.execute(
                "insert into app.users (username) select 'bench' || g from generate_series($1::int, $2::int) g "
                "on conflict do nothing",
                have + 1,
                users_wanted,
            )
        users = [
            r["id"]
            for r in await pool.fetch(
                "select id from app.users where deleted_at is null order by id limit $1", users_wanted
            )
        ]
        tokens = []
        for user_id in users[:tokens_wanted]:
            user = await pool.fetchval("select auth.user_json(u) from app.users u where id = $1", user_id)
            tokens.append((await start_session(db, settings, user)).access_token)
        key = await create_api_key(db, settings, "bench", ["xp:write"], None)
    finally:
        await db.close()
    users_file, tokens_file = workdir / "users.txt", workdir / "tokens.txt"
    users_file.write_text("\n".join(str(u) for u in users) + "\n")
    tokens_file.write_text("\n".join(tokens) + "\n")
    return users_file, tokens_file, key["key"]


def rebuild_ranks(url: str) -> float:
    """Rebuild this season's rank snapshots (the worker does it every 5 s); return seconds."""
    import asyncpg

    async def run() -> float:
        conn = await asyncpg.connect(url, command_timeout=None)
        try:
            started = time.perf_counter()
            await conn.fetchval("select xp.rebuild_ranks(to_char(now() at time zone 'UTC', 'YYYY-MM'))")
            return time.perf_counter() - started
        finally:
            await conn.close()

    return asyncio.run(run())


def median_run(runs: list[harness.WrkResult]) -> harness.WrkResult:
    """The run with the median rate (its latencies come with it)."""
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the award scenarios")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    harness.require_wrk()

    env = harness.app_env(
        DATABASE_POOL_MAX="20",
        POOL="20",
    )

    empty_url = xp_load.fresh_database("xpcore_bench_empty")
    loaded_url = xp_load.prepare(f"xpcore_bench_{args.events // 1_000_000}m", args.users, args.events)
    loaded_label = f"{args.events:,} ledger rows, {args.users:,} users"

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        # All three servers run side by side (idle ones cost nothing) and the award scenarios
        # alternate round by round, so a slow minute of this shared machine hits each of them
        # alike; each scenario reports its median round.
        targets: dict[str, tuple[str, str, dict[str, str]]] = {}
        stack.enter_context(
            harness.server(
                harness.uvicorn("bench.baseline:app", BASELINE_PORT),
                {**env, "DATABASE_URL": empty_url},
                f"http://127.0.0.1:{BASELINE_PORT}/award",
            )
        )
        targets["baseline: insert + update"] = (f"http://127.0.0.1:{BASELINE_PORT}", "baseline.lua", {})
        for port, label, url in ((APP_PORT, "0 ledger rows", empty_url), (APP_PORT + 1, loaded_label, loaded_url)):
            workdir = tmp / str(port)
            workdir.mkdir()
            os.environ["DATABASE_URL"] = url
            users_file, tokens_file, key = asyncio.run(fixtures(url, 10_000, workdir))
            wrk_env = {"XP_USERS": str(users_file), "XP_TOKENS": str(tokens_file), "XP_KEY": key}
            base = f"http://127.0.0.1:{port}"
            stack.enter_context(
                harness.server(
                    harness.uvicorn("src.app:create_app", port, factory=True),
                    {**env, "DATABASE_URL": url},
                    f"{base}/health",
                )
            )
            targets[f"POST /xp/events ({label})"] = (base, "xp_award.lua", wrk_env)
            targets[f"GET /users/me/profile ({label})"] = (base, "xp_profile.lua", wrk_env)

        awards = [name for name in targets if not name.startswith("GET")]
        for name in awards:
            base, script, wrk_env = targets[name]
            harness.run_wrk("warm-up", base, script, duration=3, connections=args.connections, env=wrk_env)
        runs: dict[str, list[harness.WrkResult]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name in awards:
                base, script, wrk_env = targets[name]
                runs[name].append(
                    harness.run_wrk(
                        name, base, script, duration=args.duration, connections=args.connections, env=wrk_env
                    )
                )
        for url, label in ((empty_url, "0 ledger rows"), (loaded_url, loaded_label)):
            print(f"rank snapshot rebuild ({label}): {rebuild_ranks(url):.1f} s", flush=True)
            name = f"GET /users/me/profile ({label})"
            base, script, wrk_env = targets[name]
            runs[name].append(
                harness.run_wrk(name, base, script, duration=args.duration, connections=args.connections, env=wrk_env)
            )

    results = {name: median_run(r) for name, r in runs.items()}
    baseline = results["baseline: insert + update"]
    empty = results["POST /xp/events (0 ledger rows)"]
    loaded = results[f"POST /xp/events ({loaded_label})"]
    rounds = {name: ", ".join(f"{r.rps:,.0f}" for r in runs[name]) for name in awards}
    lines = [
        harness.table(list(results.values())),
        "",
        f"Award scenarios: median of {args.rounds} interleaved rounds (req/s per round: "
        + "; ".join(f"{name.split(' (')[0] if name.startswith('base') else name}: {r}" for name, r in rounds.items())
        + ").",
        "",
        f"- award throughput with {args.events:,} rows vs 0 rows: {loaded.rps / empty.rps:.0%} (target >= 80%)",
        f"- award throughput vs the minimal baseline: {empty.rps / baseline.rps:.0%} on the empty database, "
        f"{loaded.rps / baseline.rps:.0%} on the loaded one (target >= 70%)",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"# XP hot paths, {stamp}\n\n"
        f"{args.connections} connections, {args.duration} s per wrk run, wrk -t1, one uvicorn worker per server.\n\n"
    )
    (RESULTS / "xp.md").write_text(header + report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
