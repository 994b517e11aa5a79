"""PostgreSQL CPU per award by engagement state, from the backend's /proc (not wall clock), so
a machine shared with other work still gives comparable figures:

    python bench/engage_cpu.py                  # --awards 3000 --rounds 3 --users 30000 --batch 16

- Database `xpcore_engage_cpu` (kept; `--rebuild` recreates it), the states of bench/engage.py:
  nothing active; the 30 achievements; the achievements and 10 quests per user. Each state
  awards its own third of the users (as bench/engage.py does).
- Awards go as the API sends them: `xp.award_events` batches of `--batch` random users and
  activities (the activities of bench/wrk/engage_award.lua), each batch its own transaction.
- The backend's user + system CPU around each round of `--awards` awards; the rounds alternate
  the states, and each state reports its median round (microseconds per award).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engage, harness

DATABASE = "xpcore_engage_cpu"
ACTIVITIES = engage.HISTORY_ACTIVITIES


async def awards(conn: asyncpg.Connection, users: list[str], count: int, batch: int, run: str) -> int:
    done = 0
    while done < count:
        n = min(batch, count - done)
        picks = [random.choice(ACTIVITIES) for _ in range(n)]
        await conn.fetch(
            "select * from xp.award_events($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::text[],"
            " $6::timestamptz[], $7::jsonb[], $8::uuid[])",
            [random.choice(users) for _ in range(n)],
            [None] * n,
            [a for a, _ in picks],
            [u for _, u in picks],
            [f"cpu-{run}-{done + i}" for i in range(n)],
            [None] * n,
            [None] * n,
            [None] * n,
        )
        done += n
    return done


HOOKS = ("xp.book", "engage.on_award", "engage.on_streak", "engage.on_quest", "engage.quest_reward", "engage.unlock")


async def function_times(conn: asyncpg.Connection) -> dict[str, float]:
    """Total milliseconds spent in each hook so far (this backend's flushed counters)."""
    await conn.execute("select pg_stat_force_next_flush()")
    await conn.execute("select pg_stat_clear_snapshot()")
    rows = await conn.fetch(
        "select schemaname || '.' || funcname as fn, sum(total_time) as total, sum(self_time) as self"
        " from pg_stat_user_functions group by 1"
    )
    times = {r["fn"]: float(r["total"]) for r in rows if r["fn"] in HOOKS}
    times.update({"self " + r["fn"]: float(r["self"]) for r in rows if r["fn"] not in HOOKS or SELF})
    return times


SELF = True


async def main_async(args: argparse.Namespace, url: str) -> None:
    await engage.ensure_users(url, args.users)
    keys, moved = await engage.achievement_keys(url)
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        users = [str(r["id"]) for r in await conn.fetch("select id from app.users order by id limit $1", args.users)]
        slices = [users[n::3] for n in range(3)]
        pid = await conn.fetchval("select pg_backend_pid()")
        await conn.execute("set track_functions = 'all'")
        states = [
            ("nothing active", [], False, slices[0]),
            (f"{moved} achievements", keys, False, slices[1]),
            ("achievements + 10 quests", keys, True, slices[2]),
        ]
        per_award: dict[str, list[float]] = {}
        hook_times: dict[str, dict[str, list[float]]] = {}
        run = uuid.uuid4().hex[:8]
        for n in range(args.rounds):
            for name, state, quests, part in states:
                await engage.switch_achievements(conn, state)
                if quests:
                    await engage.activate_quests(conn, slices[2])
                else:
                    await engage.deactivate_quests(conn)
                await engage.vacuum_switched(conn, True)
                if args.checkpoint:
                    await conn.execute("checkpoint")
                hooks = await function_times(conn)
                before = harness.cpu_seconds([pid])
                started = time.perf_counter()
                done = await awards(
                    conn, part, args.awards, args.batch, f"{run}-{n}-{len(per_award.get(name, []))}-{name}"
                )
                cpu = harness.cpu_seconds([pid]) - before
                wall = time.perf_counter() - started
                per_award.setdefault(name, []).append(cpu / done * 1e6)
                after = await function_times(conn)
                for fn, total in after.items():
                    spent = (total - hooks.get(fn, 0.0)) / done * 1e3
                    if spent > 0:
                        hook_times.setdefault(name, {}).setdefault(fn, []).append(spent)
                print(
                    f"round {n + 1}: {name}: {cpu / done * 1e6:,.0f} us CPU"
                    f" per award ({wall / done * 1e6:,.0f} us wall)",
                    flush=True,
                )
        medians = {name: statistics.median(v) for name, v in per_award.items()}
        names = list(medians)
        print(json.dumps(medians))
        print("| state | backend CPU us per award (median) | fastest round | rounds |\n|---|---:|---:|---|")
        for name in names:
            rounds = ", ".join(f"{v:,.0f}" for v in per_award[name])
            print(f"| {name} | {medians[name]:,.0f} | {min(per_award[name]):,.0f} | {rounds} |")
        print("\nTime inside each function per award (track_functions; median round, us):")
        for name in names:
            spent = sorted(hook_times.get(name, {}).items(), key=lambda kv: -statistics.median(kv[1]))
            parts = ", ".join(f"{fn} {statistics.median(v):,.0f}" for fn, v in spent if statistics.median(v) >= 5)
            print(f"- {name}: {parts}")
        off = medians[names[0]]
        for name in names[1:]:
            print(f"- {name}: +{medians[name] - off:,.0f} us per award over nothing active")
    finally:
        await conn.execute("update engage.achievements set active = false")
        await engage.deactivate_quests(conn)
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--awards", type=int, default=3000, help="awards per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=16, help="awards per xp.award_events call")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--checkpoint", action="store_true", help="CHECKPOINT before each round")
    args = parser.parse_args()
    url = engage.database(args.database, args.rebuild)
    asyncio.run(main_async(args, url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
