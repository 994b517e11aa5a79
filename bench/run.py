"""The hot-path benchmarks of the XP engine, with the minimal baselines measured in the same run.

    make bench            # or: python bench/run.py --duration 10 --rounds 5 --connections 32

1. baselines: bare Litestar + asyncpg doing one insert and one update (`POST /award`) and one
   primary-key read (`GET /read`) (bench/baseline.py);
2. awards: POST /api/v1/xp/events with an API key, on an empty database and on one loaded with
   1,000,000 users and 10,000,000 ledger rows (bench/xp_load.py, built once and reused),
   alternating with the award baseline round by round; the CPU seconds per award of the API
   process and of the database's backends, read from /proc around each round;
3. half load: the awards again, paced at half of each one's saturating rate, for the tail;
4. reads on the loaded database, alternating with the read baseline: the profile, own rank and
   around-me of random signed-in users, after a rank snapshot rebuild;
5. one hot user (bench/hot_user.py: 64 connections on one user, 20% replays, every answer
   checked);
6. prints req/s and latency percentiles and the ratios the targets are about (issue "Hot paths
   past the baseline"), and writes them to bench/results/xp.md.
The servers run side by side with one uvicorn worker each (idle ones cost nothing); each
scenario reports its median round. wrk runs beside them with one thread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
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


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to the database of `url` (the app's pool)."""
    import asyncpg

    async def run() -> list[int]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "select pid from pg_stat_activity where datname = current_database()"
                " and backend_type = 'client backend' and pid <> pg_backend_pid()"
            )
            return [r["pid"] for r in rows]
        finally:
            await conn.close()

    return asyncio.run(run())


def hot_user() -> str:
    """bench/hot_user.py's summary lines (it starts its own server on its own database)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "hot_user.py")],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    return (done.stdout.strip() or done.stderr.strip()[-2000:]) + ("" if done.returncode == 0 else " (FAILED)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of each scenario")
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
    urls = {"0 ledger rows": empty_url, loaded_label: loaded_url}
    runs: dict[str, list[harness.WrkResult]] = {}
    # per award scenario: (API process CPU s, backend CPU s, requests) summed over its rounds
    cpu: dict[str, list[float]] = {}

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        targets: dict[str, tuple[str, str, dict[str, str]]] = {}
        processes: dict[str, tuple[int, str]] = {}  # scenario -> (API pid, database url)
        stack.enter_context(
            harness.server(
                harness.uvicorn("bench.baseline:app", BASELINE_PORT),
                {**env, "DATABASE_URL": empty_url},
                f"http://127.0.0.1:{BASELINE_PORT}/award",
            )
        )
        baseline = f"http://127.0.0.1:{BASELINE_PORT}"
        targets["baseline: insert + update"] = (baseline, "baseline.lua", {})
        targets["baseline: GET one row"] = (baseline, "baseline_read.lua", {})
        for port, label in ((APP_PORT, "0 ledger rows"), (APP_PORT + 1, loaded_label)):
            url = urls[label]
            workdir = tmp / str(port)
            workdir.mkdir()
            os.environ["DATABASE_URL"] = url
            users_file, tokens_file, key = asyncio.run(fixtures(url, 10_000, workdir))
            wrk_env = {"XP_USERS": str(users_file), "XP_TOKENS": str(tokens_file), "XP_KEY": key}
            base = f"http://127.0.0.1:{port}"
            process = stack.enter_context(
                harness.server(
                    harness.uvicorn("src.app:create_app", port, factory=True),
                    {**env, "DATABASE_URL": url},
                    f"{base}/health",
                )
            )
            targets[f"POST /xp/events ({label})"] = (base, "xp_award.lua", wrk_env)
            processes[f"POST /xp/events ({label})"] = (process.pid, url)
            if label == loaded_label:
                targets[f"GET /users/me/profile ({label})"] = (base, "xp_profile.lua", wrk_env)
                targets[f"GET own rank ({label})"] = (base, "own_rank.lua", wrk_env)
                targets[f"GET around-me ({label})"] = (base, "around_me.lua", wrk_env)

        def measure(names: list[str]) -> None:
            """`args.rounds` rounds, each running every scenario of `names` once, in turn."""
            for _ in range(args.rounds):
                for name in names:
                    base, script, wrk_env = targets[name]
                    pid, url = processes.get(name, (0, ""))
                    pids = backend_pids(url) if pid else []
                    before = (harness.cpu_seconds([pid]), harness.cpu_seconds(pids)) if pid else (0.0, 0.0)
                    result = harness.run_wrk(
                        name, base, script, duration=args.duration, connections=args.connections, env=wrk_env
                    )
                    runs.setdefault(name, []).append(result)
                    if pid:
                        spent = cpu.setdefault(name, [0.0, 0.0, 0.0])
                        spent[0] += harness.cpu_seconds([pid]) - before[0]
                        spent[1] += harness.cpu_seconds(pids) - before[1]
                        spent[2] += result.requests

        awards = [name for name in targets if name.startswith(("POST", "baseline: insert"))]
        for name in awards:
            base, script, wrk_env = targets[name]
            harness.run_wrk("warm-up", base, script, duration=3, connections=args.connections, env=wrk_env)
        harness.analyze(empty_url, loaded_url)
        measure(awards)

        # Half load: each award scenario paced at half its saturating (median) rate.
        half: dict[str, harness.WrkResult] = {}
        for name in awards:
            base, script, wrk_env = targets[name]
            rate = median_run(runs[name]).rps / 2
            delay = max(1.0, 1000 * args.connections / rate - median_run(runs[name]).p50 / 2)
            half[name] = harness.run_wrk(
                f"{name}, half load",
                base,
                script,
                duration=args.duration,
                connections=args.connections,
                env=wrk_env,
                delay_ms=round(delay),
            )

        print(f"rank snapshot rebuild ({loaded_label}): {rebuild_ranks(loaded_url):.1f} s", flush=True)
        reads = [name for name in targets if name.startswith(("GET", "baseline: GET"))]
        measure(reads)

    hot = hot_user()
    print(hot, flush=True)

    results = {name: median_run(r) for name, r in runs.items()}
    base_award = results["baseline: insert + update"]
    base_read = results["baseline: GET one row"]
    empty = results["POST /xp/events (0 ledger rows)"]
    loaded = results[f"POST /xp/events ({loaded_label})"]
    rounds = {name: ", ".join(f"{r.rps:,.0f}" for r in runs[name]) for name in runs}
    lines = [
        harness.table(list(results.values())),
        "",
        f"Median of {args.rounds} interleaved rounds (req/s per round: "
        + "; ".join(f"{name}: {r}" for name, r in rounds.items())
        + ").",
        "",
        "Half load (each award scenario paced at half its median rate above):",
        "",
        harness.table(list(half.values())),
        "",
        "CPU per award (all rounds; /proc of the API process and of the database's backends; PostgreSQL's"
        " WAL writer and checkpointer, shared by every database, are not in it):",
        "",
        "| scenario | API process ms | PostgreSQL backends ms | both ms |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {1000 * api / n:.3f} | {1000 * pg / n:.3f} | {1000 * (api + pg) / n:.3f} |"
            for name, (api, pg, n) in cpu.items()
            if n
        ),
        "",
        f"Hot user: {hot}",
        "",
        f"- award throughput with {args.events:,} rows vs 0 rows: {loaded.rps / empty.rps:.0%} (target >= 80%)",
        f"- award throughput vs the minimal baseline: {empty.rps / base_award.rps:.0%} on the empty database, "
        f"{loaded.rps / base_award.rps:.0%} on the loaded one (target >= 100%)",
        "- award p99 at half load: "
        + ", ".join(
            f"{name.split(' (')[-1].rstrip(')')} {r.p99:.1f} ms at {r.rps:,.0f} req/s"
            for name, r in half.items()
            if name.startswith("POST")
        )
        + " (target <= 25 ms)",
        "- reads vs the bare GET: "
        + ", ".join(
            f"{name.split(' (')[0].removeprefix('GET ')} {results[name].rps / base_read.rps:.0%}"
            for name in results
            if name.startswith("GET")
        )
        + " (target >= 80%)",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()
    header = (
        f"# XP hot paths, {stamp}\n\n"
        f"{args.connections} connections, {args.duration} s per wrk run, wrk -t1, one uvicorn worker per server;"
        f" load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min).\n\n"
    )
    (RESULTS / "xp.md").write_text(header + report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
