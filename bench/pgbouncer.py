"""Awards and profile reads straight to PostgreSQL and through PgBouncer, in the same run.

    python bench/pgbouncer.py [--duration 8] [--rounds 2] [--connections 32]

Three app servers (one uvicorn worker each) on one fresh database (`xpcore_replicas_pgbouncer`,
10,000 users), side by side, the scenarios interleaved round by round:

1. direct: DATABASE_URL to PostgreSQL, asyncpg's statement cache on (100, the default);
2. direct, statement_cache_size=0: the cost of re-parsing every statement, alone;
3. PgBouncer (Debian's, transaction mode, pool 10): DATABASE_PGBOUNCER=true, so the cache is 0
   (Debian bookworm ships 1.18: no max_prepared_statements, which arrived in 1.21).

Then a few seconds of (4) PgBouncer with the cache left on, to show why it must be off there.
Prints req/s and latencies and writes bench/results/pgbouncer.md. Needs wrk and pgbouncer
(`apt-get install wrk pgbouncer`).
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
from bench.run import fixtures, median_run
from tests.fixtures.pgservers import PgBouncer, pgbouncer_missing

PORT = 8141
RESULTS = Path(__file__).resolve().parent / "results"
DATABASE = "xpcore_replicas_pgbouncer"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    harness.require_wrk()
    missing = pgbouncer_missing()
    if missing:
        sys.exit(f"bench: {missing}")
    env = harness.app_env(
        DATABASE_POOL_MAX="10",
        DATABASE_API_ROLE="",  # PgBouncer needs a login of its own or none: the same for all three
    )
    url = xp_load.fresh_database(DATABASE)
    os.environ["DATABASE_URL"] = url
    bouncer = PgBouncer(url, pool_size=10)
    asyncio.run(bouncer.start())
    bounced = bouncer.url(DATABASE)
    try:
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            users_file, tokens_file, key = asyncio.run(fixtures(url, 10_000, tmp))
            wrk_env = {"XP_USERS": str(users_file), "XP_TOKENS": str(tokens_file), "XP_KEY": key}
            servers = {
                "direct, statement cache 100": {"DATABASE_URL": url},
                "direct, statement cache 0": {"DATABASE_URL": url, "DATABASE_STATEMENT_CACHE_SIZE": "0"},
                "PgBouncer, statement cache 0": {
                    "DATABASE_URL": bounced,
                    "DATABASE_DIRECT_URL": url,
                    "DATABASE_PGBOUNCER": "true",
                },
                "PgBouncer, statement cache 100 (wrong)": {
                    "DATABASE_URL": bounced,
                    "DATABASE_DIRECT_URL": url,
                    "DATABASE_PGBOUNCER": "true",
                    "DATABASE_STATEMENT_CACHE_SIZE": "100",
                },
            }
            bases: dict[str, str] = {}
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
            measured = [name for name in servers if "wrong" not in name]
            for name in measured:
                harness.run_wrk(
                    "warm-up", bases[name], "xp_award.lua", duration=2, connections=args.connections, env=wrk_env
                )
            runs: dict[str, list[harness.WrkResult]] = {}
            for _ in range(args.rounds):
                for scenario, script in (
                    ("POST /xp/events", "xp_award.lua"),
                    ("GET /users/me/profile", "xp_profile.lua"),
                ):
                    for name in measured:
                        label = f"{scenario} ({name})"
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
            wrong = "PgBouncer, statement cache 100 (wrong)"
            broken = harness.run_wrk(
                f"POST /xp/events ({wrong})",
                bases[wrong],
                "xp_award.lua",
                duration=3,
                connections=args.connections,
                env=wrk_env,
            )
    finally:
        bouncer.stop()
        if not args.keep:
            harness.run_sql(
                xp_load.with_database(url, "postgres"), f'drop database if exists "{DATABASE}" with (force)'
            )
    results = {label: median_run(r) for label, r in runs.items()}
    award = {name: results[f"POST /xp/events ({name})"].rps for name in measured}
    read = {name: results[f"GET /users/me/profile ({name})"].rps for name in measured}
    direct, nocache, bounce = measured
    lines = [
        harness.table([*results.values(), broken]),
        "",
        f"Median of {args.rounds} interleaved rounds; the last row is one 3 s run.",
        "",
        f"- awards through PgBouncer: {award[bounce] / award[direct]:.0%} of direct (cache 0 direct alone:"
        f" {award[nocache] / award[direct]:.0%})",
        f"- profile reads through PgBouncer: {read[bounce] / read[direct]:.0%} of direct (cache 0 direct alone:"
        f" {read[nocache] / read[direct]:.0%})",
        f"- PgBouncer with the cache on: {broken.non2xx + broken.errors:,} failed of {broken.requests:,} requests",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "pgbouncer.md").write_text(
        f"# PgBouncer (transaction mode) against direct connections, {stamp}\n\n"
        f"PgBouncer {pgbouncer_version()}, pool_size 10; app pools of 10; {args.connections} wrk connections,"
        f" {args.duration} s per run, wrk -t1, one uvicorn worker per server, 2 shared cores.\n\n" + report + "\n"
    )
    return 0


def pgbouncer_version() -> str:
    import subprocess

    from tests.fixtures.pgservers import PGBOUNCER

    out = subprocess.run([PGBOUNCER, "--version"], capture_output=True, text=True).stdout
    return out.split("\n")[0].replace("PgBouncer ", "") or "?"


if __name__ == "__main__":
    raise SystemExit(main())
