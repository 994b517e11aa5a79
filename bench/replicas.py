"""Reads from a streaming replica against reads from the primary only, in the same run.

    python bench/replicas.py [--duration 8] [--rounds 2] [--connections 32] [--board-users 10000]

Makes a real hot standby of the server at DATABASE_URL (`pg_basebackup -R`, tests/fixtures/
pgservers.py) on this machine, a fresh database `xpcore_replicas_reads` (--board-users users,
each with season XP on the reality board, more from a short award run, rank snapshots), and two
app servers side by side (one uvicorn worker each): one with no replica, one with
DATABASE_REPLICA_URLS pointing at the standby. Interleaved rounds:

1. GET /api/v1/users/{username} (anonymous, random users);
2. GET a season board's top 100;
3. GET /api/v1/users/{username} while a second wrk drives POST /xp/events at the primary;
4. GET own rank (`/me?around=0`) and 5. around-me (`/me?around=5`), random signed-in users:
   from the replica's logged copy of the rank snapshot (xp.publish_replica_board).

Also measures that copy's cost on the primary, at this board size: its build time and the WAL it
writes (pg_current_wal_lsn() before and after), against the unlogged rebuild's, in the same run.

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


def header(url: str, name: str, token: str | None = None) -> str | None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.headers.get(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--board-users", type=int, default=10_000, help="users on the reality board")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--cost-only",
        action="store_true",
        help="only the logged copy's build time and WAL at --board-users (no replica, no servers):"
        " results/replicas_rank_copy.md",
    )
    args = parser.parse_args()
    load_before = load_average()
    if args.cost_only:
        return copy_cost_only(args.board_users, args.rounds + 1, load_before)
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
            users_file, tokens_file, key = asyncio.run(fixtures(url, args.board_users, tmp, tokens_wanted=200))
            asyncio.run(fill_board(url))
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
            costs = asyncio.run(snapshot_costs(url, args.rounds + 1))
            for line in costs:
                print(line, flush=True)
            asyncio.run(replica.wait_replayed(url))
            time.sleep(2)
            sample = f"{bases['with a replica']}/api/v1/seasons/current/leaderboards/reality?limit=100"
            served = header(sample, "X-Read-From"), header(f"{primary}/api/v1/seasons", "X-Read-From")
            print(f"X-Read-From: {served[0]} (with a replica), {served[1]} (primary only)", flush=True)
            assert served == ("replica", None), served
            token = tokens_file.read_text().split()[0]
            me = "/api/v1/seasons/current/leaderboards/reality/me?around=5"
            ranked = header(f"{bases['with a replica']}{me}", "X-Read-From", token)
            print(f"around-me X-Read-From: {ranked} (with a replica)", flush=True)
            assert ranked == "replica", ranked
            scenarios = [
                ("GET /users/{username}", "public_profile.lua", False),
                ("GET top 100 of the season board", "top100.lua", False),
                ("GET /users/{username}, awards running on the primary", "public_profile.lua", True),
                ("GET own rank (/me?around=0)", "own_rank.lua", False),
                ("GET around-me (/me?around=5)", "around_me.lua", False),
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
    lines += ["", "The logged copy for the replicas, on the primary (median of the runs):", "", *costs]
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "replicas.md").write_text(
        f"# Reads from a streaming replica against the primary only, {stamp}\n\n"
        f"PostgreSQL 15 hot standby on this machine (pg_basebackup -R); app pools of 10 (the replica's 10 too);"
        f" {args.connections} wrk connections, {args.duration} s per run, wrk -t1, one uvicorn worker per server."
        " The replica shares the 2 cores: this measures isolation, not added capacity."
        f" Load average (1, 5, 15 min) {load_before} before, {load_average()} after (2 cores, shared with"
        " other sessions: ratios within this run are what counts).\n\n" + report + "\n"
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


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def copy_cost_only(board_users: int, runs: int, load_before: str) -> int:
    """The logged copy's cost at a board size larger than the HTTP rounds need."""
    name = f"{DATABASE}_cost"
    url = xp_load.with_database(harness.database_url(), name)
    load = harness.run_sql
    try:
        url = xp_load.fresh_database(name)
        load(url, f"insert into app.users (username) select 'bench' || g from generate_series(1, {board_users}) g")
        asyncio.run(fill_board(url))
        started = time.perf_counter()
        load(url, "select xp.rebuild_board(to_char(now() at time zone 'UTC', 'YYYY-MM'), 'reality')")
        print(f"first rebuild: {time.perf_counter() - started:.1f} s", flush=True)
        lines = asyncio.run(snapshot_costs(url, runs))
    finally:
        load(xp_load.with_database(url, "postgres"), f'drop database if exists "{name}" with (force)')
    report = "\n".join(lines)
    print(report)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "replicas_rank_copy.md").write_text(
        f"# The replicas' logged rank snapshot copy against the unlogged rebuild, {stamp}\n\n"
        f"`python bench/replicas.py --cost-only --board-users {board_users}`: one board, median of {runs} runs"
        " each, alternating; WAL from pg_current_wal_lsn() before and after. Load average (1, 5, 15 min)"
        f" {load_before} before, {load_average()} after (2 cores, shared with other sessions).\n\n" + report + "\n"
    )
    return 0


async def fill_board(url: str) -> None:
    """Every user on this season's reality board: distinct XP, a few ties."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)"
            " select (xp.season_for(now())).id, 'reality', id, 1 + (hashtext(id::text) & 65535),"
            "        now() - interval '1 day' * random()"
            " from app.users on conflict do nothing"
        )
        await conn.execute("analyze xp.season_scores")
    finally:
        await conn.close()


async def snapshot_costs(url: str, runs: int) -> list[str]:
    """Build time and WAL of the unlogged rebuild and of the logged copy (both boards, then
    published for the replicas to read through the bench), median of `runs`."""
    import statistics

    import asyncpg

    conn = await asyncpg.connect(url, command_timeout=None)
    season = "to_char(now() at time zone 'UTC', 'YYYY-MM')"
    measured: dict[str, list[tuple[float, int]]] = {"rebuild (unlogged)": [], "copy (logged)": []}
    try:
        rows = await conn.fetchval(
            f"select rows from xp.rank_generations where season_id = {season} and mode = 'reality'"
        )
        for _ in range(runs):
            for label, sql in (
                ("rebuild (unlogged)", f"select xp.rebuild_board({season}, 'reality')"),
                (
                    "copy (logged)",
                    f"select xp.publish_replica_board({season}, 'reality', interval '0', interval '1 day')",
                ),
            ):
                before = await conn.fetchval("select pg_current_wal_lsn()")
                started = time.perf_counter()
                await conn.fetchval(sql)
                took = time.perf_counter() - started
                wal = await conn.fetchval("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)", before)
                measured[label].append((took, int(wal)))
        # the cyber board too, so both boards have a copy the replica serves
        await conn.fetchval(f"select xp.rebuild_board({season}, 'cyber')")
        await conn.fetchval(f"select xp.publish_replica_board({season}, 'cyber', interval '0', interval '1 day')")
        size = await conn.fetchval(
            "select pg_total_relation_size(format('xp.rank_slot_%s', slot)::regclass) from xp.replica_rank_generations"
            f" where season_id = {season} and mode = 'reality'"
        )
    finally:
        await conn.close()
    lines = [f"- board of {rows:,} lines; a logged copy (table and index) is {size / 2**20:.1f} MiB"]
    for label, samples in measured.items():
        took = statistics.median(t for t, _ in samples)
        wal = statistics.median(w for _, w in samples)
        lines.append(f"- {label}: {took * 1000:.0f} ms, WAL {wal / 2**20:.2f} MiB ({wal / max(rows, 1):.0f} B a line)")
    return lines


async def replica_lag(replica: ReplicaCluster) -> str:
    return str(await replica.sql("select now() - pg_last_xact_replay_timestamp()"))


if __name__ == "__main__":
    raise SystemExit(main())
