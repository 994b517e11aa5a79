"""Run the HTTP benchmarks and print req/s and latency percentiles, with the minimal baseline
measured in the same run. Usage: `make bench` or `python bench/run.py --duration 15`.

Scenarios live in SCENARIOS below; each names the server it hits and its wrk script.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from src.embedded import with_database

BASELINE_PORT, APP_PORT = 8101, 8102


def prepare_database(server_url: str, name: str) -> str:
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            if not await conn.fetchval("select 1 from pg_database where datname = $1", name):
                await conn.execute(f'create database "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    url = with_database(server_url, name)
    from tests.conftest import migrate

    migrate(url)
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database", default="xpcore_bench", help="database to benchmark in (created and migrated)")
    args = parser.parse_args()

    url = prepare_database(harness.database_url(), args.database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": harness.redis_url(),
        "XPCORE_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_POOL_MAX": "20",
        "POOL": "20",
        "XPCORE_SECRET_KEY": os.environ.get("XPCORE_SECRET_KEY", "bench-secret"),
    }
    results = []
    with harness.server(
        harness.uvicorn("bench.baseline:app", BASELINE_PORT), env, f"http://127.0.0.1:{BASELINE_PORT}/award"
    ):
        results.append(
            harness.run_wrk(
                "baseline: insert + update",
                f"http://127.0.0.1:{BASELINE_PORT}",
                "baseline.lua",
                duration=args.duration,
                connections=args.connections,
            )
        )
    with harness.server(
        harness.uvicorn("src.app:create_app", APP_PORT, factory=True), env, f"http://127.0.0.1:{APP_PORT}/health"
    ):
        results.append(
            harness.run_wrk(
                "xpcore GET /health",
                f"http://127.0.0.1:{APP_PORT}/health",
                "health.lua",
                duration=args.duration,
                connections=args.connections,
            )
        )
    print(harness.table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
