"""Admin broadcast to 100,000 users: seconds to write everyone's feed item (SQL batches).

python bench/notify_broadcast.py --users 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import xp_load

RESULTS = Path(__file__).resolve().parent / "results"


async def broadcast(url: str) -> tuple[int, float]:
    os.environ["DATABASE_URL"] = url
    from src.db import Database
    from src.notifications.jobs import run_broadcast
    from src.settings import load_settings

    db = Database(load_settings())
    try:
        broadcast_id = await db.fetchval("select notify.broadcast_create(null, 'Bench', 'Hello everyone', '{}')")
        started = time.perf_counter()
        written = await run_broadcast({"db": db}, broadcast_id=broadcast_id)
        return written, time.perf_counter() - started
    finally:
        await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    url = xp_load.prepare(f"xpcore_bench_users_{args.users // 1000}k", args.users, 0)
    written, seconds = asyncio.run(broadcast(url))
    report = (
        f"- broadcast to {written:,} users: feed written in {seconds:.1f} s"
        f" ({written / seconds:,.0f} rows/s; target < 10 s)"
    )
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "notify_broadcast.md").write_text(
        f"# Broadcast, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n{report}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
