"""Reads from a streaming replica against reads from the primary only, in the same run.

    python bench/replicas.py [--duration 8] [--rounds 2] [--connections 32]

Makes a real hot standby of the server at DATABASE_URL (`pg_basebackup -R`, tests/fixtures/
pgservers.py) on this machine, a fresh database `xpcore_replicas_reads` (10,000 users, XP from
a short award run, rank snapshots), and two app servers side by side (one uvicorn worker each):
one with no replica, one with DATABASE_REPLICA_URLS pointing at the standby. Interleaved rounds:

1. GET /api/v1/users/{username} (anonymous, random users);
2. GET a season board's top 100;
3. GET /api/v1/users/{username} while a second wrk drives POST /xp/events at the primary.

The standby shares this machine's 2 cores with the primary, the servers and wrk: a replica adds
no CPU here, so the figures show what moves (the reads' queries leave the primary), not the gain
of a second machine. Writes bench/results/replicas.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, xp_load
from bench.run import fixtures, median_run, rebuild_ranks
from tests.fixtures.pgservers import ReplicaCluster, replica_binaries_missing

PORT = 8151
RESULTS = Path(__file__).resolve().parent / "results"
DATABASE = "xpcore_replicas_reads"


def header(url: str, name: str) -> str | None:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.headers.get(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    harness.require_wrk()
    missing = replica_binaries_missing()
    if missing:
        sys.exit(f"bench: {missing}")
    env = harness.app_env(
        DATABASE_POOL_MAX="10",
        DATABASE_REPLICA_POOL_MAX="10",  # the same pool size on both sides of the comparison
    )
    server_url = harness.database_url()
    replica = ReplicaCluster(server_url)
    started = time.perf_counter()
    asyncio.run(replica.create())
    print(f"replica made and started in {time.perf_counter() - started:.0f} s", flush=True)
    url = xp_load.fresh_database(DATABASE)
    os.environ["DATABASE_URL"] = url
    try:
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            users_file, tokens_file, key = asyncio.run(fixtures(url, 10_000, tmp, tokens_wanted=10))
            names = tmp / "usernames.txt"
            names.write_text(asyncio.run(usernames(url)))
            wrk_env = {"XP_USERS": str(users_file), "XP_TOKENS": str(tokens_file), "XP_KEY": key}
            wrk_env |= {"XP_USERNAMES": str(names), "XP_MODE": "reality"}
            servers = {
                "primary only": {"DATABASE_URL": url},
                "with a replica": {"DATABASE_URL": url, "DATABASE_REPLICA_URLS": replica.url(DATABASE)},
            }
            bases = {}
            for i, (name, extra) in enumerate(servers.items()):
                base = f"http://127.0.0.1:{PORT + i}"
                stack.enter_context(
                    harness.server(
                        harness.uvicorn("src.app:create_app", PORT + i, factory=True),
                        {**env, **extra},
                        f"{base}/health",
                    )
                )
                bases[name] = base
            primary = bases["primary only"]
            harness.run_wrk("awards", primary, "xp_award.lua", duration=4, connections=16, env=wrk_env)
            print(f"rank snapshot rebuild: {rebuild_ranks(url):.1f} s", flush=True)
            asyncio.run(replica.wait_replayed(url))
            time.sleep(2)
            sample = f"{bases['with a replica']}/api/v1/seasons/current/leaderboards/reality?limit=100"
            served = header(sample, "X-Read-From"), header(f"{primary}/api/v1/seasons", "X-Read-From")
            print(f"X-Read-From: {served[0]} (with a replica), {served[1]} (primary only)", flush=True)
            assert served == ("replica", None), served
            scenarios = [
                ("GET /users/{username}", "public_profile.lua", False),
                ("GET top 100 of the season board", "top100.lua", False),
                ("GET /users/{username}, awards running on the primary", "public_profile.lua", True),
            ]
            for name in servers:
                harness.run_wrk("warm-up", bases[name], "public_profile.lua", duration=2, env=wrk_env)
            runs: dict[str, list[harness.WrkResult]] = {}
            awards: list[harness.WrkResult] = []
            for _ in range(args.rounds):
                for scenario, script, loaded in scenarios:
                    for name in servers:
                        label = f"{scenario} ({name})"
                        load = None
                        if loaded:
                            load = threading.Thread(
                                target=lambda: awards.append(
                                    harness.run_wrk(
                                        "awards",
                                        primary,
                                        "xp_award.lua",
                                        duration=args.duration + 2,
                                        connections=16,
                                        env=wrk_env,
                                    )
                                )
                            )
                            load.start()
                            time.sleep(1)
                        runs.setdefault(label, []).append(
                            harness.run_wrk(
                                label,
                                bases[name],
                                script,
                                duration=args.duration,
                                connections=args.connections,
                                env=wrk_env,
                            )
                        )
                        if load is not None:
                            load.join()
            lag = asyncio.run(replica_lag(replica))
    finally:
        asyncio.run(replica.remove())
        if not args.keep:
            harness.run_sql(
                xp_load.with_database(url, "postgres"), f'drop database if exists "{DATABASE}" with (force)'
            )
    results = {label: median_run(r) for label, r in runs.items()}
    lines = [harness.table(list(results.values())), "", f"Median of {args.rounds} interleaved rounds.", ""]
    for scenario, _, _ in scenarios:
        only, replicated = results[f"{scenario} (primary only)"], results[f"{scenario} (with a replica)"]
        lines.append(
            f"- {scenario}: with a replica {replicated.rps / only.rps:.0%} of primary-only req/s,"
            f" p99 {replicated.p99:.1f} ms against {only.p99:.1f} ms"
        )
    if awards:
        lines.append(f"- awards beside the reads (16 connections): {', '.join(f'{a.rps:,.0f}' for a in awards)} req/s")
    lines.append(f"- replica replay lag at the end (now() - pg_last_xact_replay_timestamp()): {lag}")
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "replicas.md").write_text(
        f"# Reads from a streaming replica against the primary only, {stamp}\n\n"
        f"PostgreSQL 15 hot standby on this machine (pg_basebackup -R); app pools of 10 (the replica's 10 too);"
        f" {args.connections} wrk connections, {args.duration} s per run, wrk -t1, one uvicorn worker per server."
        " The replica shares the 2 cores: this measures isolation, not added capacity.\n\n" + report + "\n"
    )
    return 0


async def usernames(url: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("select username from app.users where deleted_at is null limit 10000")
    finally:
        await conn.close()
    return "\n".join(r["username"] for r in rows) + "\n"


async def replica_lag(replica: ReplicaCluster) -> str:
    return str(await replica.sql("select now() - pg_last_xact_replay_timestamp()"))


if __name__ == "__main__":
    raise SystemExit(main())
