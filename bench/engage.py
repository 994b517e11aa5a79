"""What engagement costs an award: the award throughput with 30 active achievements the
benched activities move (and, once quests exist, 10 active quests per user) as a ratio against
the same award on the same database with none active, in ONE run of alternating rounds.

    python bench/engage.py                      # --duration 10 --rounds 3 --connections 32 --users 100000

- Database `xpcore_engage_bench` (kept and reused; `--rebuild` recreates it): migrated to head,
  100,000 users inserted set-based, no ledger to speak of (an empty-ish product).
- One app server (one uvicorn worker) and the bare baseline (bench/baseline.py) side by side.
  wrk (one thread, 32 connections) drives `POST /api/v1/xp/events` with an `xp:write` API key:
  random users, a random activity among the 18 the shipped achievements count
  (bench/wrk/engage_award.lua), a fresh idempotency key per request.
- Each round runs, one after another: the baseline; the award with nothing active; the award
  with the 30 achievements active (the 36 shipped ones, 29 of which an award can move, plus
  `bench-steps-walks`, so 30 that the benched activities move: totals, mode XP, level, layer,
  events and units); and the award with the achievements and 10 quests per user when the quests
  feature exists (`activate_quests`). The state is switched between rounds in the same database
  (`engage.achievements.active`), so the two award scenarios differ only in what is active.
  Each scenario reports its median round.
- Prints the ratios and appends them to bench/results/engage.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, run, xp_load

DATABASE = "xpcore_engage_bench"
BASELINE_PORT, APP_PORT = 8131, 8132
RESULTS = Path(__file__).resolve().parent / "results"
EXTRA = {
    "key": "bench-steps-walks",
    "name": "Walks Logged",
    "description": "Log 5, 50 and 500 step counts.",
    "mode": "reality",
    "active": False,
    "rule": {"kind": "activity_events", "params": {"activity": "steps"}},
    "tiers": [
        {"name": "bronze", "threshold": 5},
        {"name": "silver", "threshold": 50},
        {"name": "gold", "threshold": 500},
    ],
}
AWARD_KINDS = ("total_xp", "mode_xp", "level", "layer", "activity_events", "activity_units")


def database(name: str, rebuild: bool, template: str | None = None) -> str:
    """The bench database, migrated to head (created when missing or when asked; a copy of
    `template` when one is given)."""
    url = xp_load.with_database(harness.database_url(), name)
    if template:  # a copy: seconds, where booking a history again takes minutes
        return xp_load.fresh_database(name, template)

    async def exists() -> bool:
        conn = await asyncpg.connect(xp_load.with_database(harness.database_url(), "postgres"))
        try:
            return bool(await conn.fetchval("select true from pg_database where datname = $1", name))
        finally:
            await conn.close()

    if rebuild or not asyncio.run(exists()):
        return xp_load.fresh_database(name)
    from tests.conftest import migrate

    migrate(url)
    return url


async def ensure_users(url: str, wanted: int) -> None:
    """`wanted` users, inserted set-based here (the app's pool has a statement timeout that a
    busy machine can reach on 100,000 rows)."""
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        await conn.execute("set statement_timeout = 0")
        have = await conn.fetchval("select count(*) from app.users")
        if have < wanted:
            await conn.execute(
                "insert into app.users (username) select 'bench' || g from generate_series($1::int, $2::int) g"
                " on conflict do nothing",
                have + 1,
                wanted,
            )
    finally:
        await conn.close()


async def achievement_keys(url: str) -> tuple[list[str], int]:
    """The 30 achievements of the 'on' state: every shipped one plus bench-steps-walks (defined
    here, inactive until its rounds). Checks that 30 of them are moved by awards."""
    conn = await asyncpg.connect(url)
    try:
        await conn.fetchval("select engage.upsert($1::jsonb)", json.dumps(EXTRA))
        await conn.execute("delete from engage.backfills")  # no worker runs here; nothing to fill
        keys = [r["key"] for r in await conn.fetch("select key from engage.achievements order by key")]
        moved = await conn.fetchval(
            "select count(*) from engage.achievements where key = any($1) and kind = any($2)", keys, list(AWARD_KINDS)
        )
        print(f"'on' state: {len(keys)} achievements active, {moved} of them moved by awards", flush=True)
        return keys, int(moved)
    finally:
        await conn.close()


HISTORY_ACTIVITIES = [
    ("run_km", 5), ("walk_km", 3), ("cycle_km", 20), ("swim_km", 1), ("pushup_standard", 30),
    ("pullup_standard", 10), ("squat_bodyweight", 50), ("burpee", 20), ("plank_s", 60), ("steps", 2000),
    ("yoga_min", 30), ("meditation_min", 10), ("commit", 3), ("pull_request_merged", 1),
    ("code_review", 2), ("bug_fixed", 1), ("ctf_flag", 1), ("focus_session", 1),
]  # fmt: skip


async def book_history(url: str, keys: list[str], per_user: int, users: int) -> None:
    """Returning users: `per_user` awards for each of the first `users` users, booked in SQL
    (xp.award, the same path) with the 30 achievements on, so what they unlock is unlocked and
    the bench's awards cross tiers as a product's returning users do, not as first awards do."""
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        booked = await conn.fetchval(
            "select count(*) from xp.ledger where source = 'activity' and idempotency_key like 'history-%'"
        )
        if booked >= per_user * users:
            print(f"history: {booked:,} awards booked by an earlier run (kept)", flush=True)
            return
        await conn.execute("update engage.achievements set active = (key = any($1::text[]))", keys)
        activities = [a for a, _ in HISTORY_ACTIVITIES]
        units = [u for _, u in HISTORY_ACTIVITIES]
        started = time.perf_counter()
        for offset in range(0, users, 2_000):
            await conn.execute(
                """
                select xp.award(u.id, ($1::text[])[1 + (abs(hashtext(u.id::text || n)) % cardinality($1::text[]))],
                                ($2::int[])[1 + (abs(hashtext(u.id::text || n)) % cardinality($1::text[]))],
                                'activity', 'history-' || u.id || '-' || n,
                                now() - make_interval(hours => n))
                  from (select id from app.users where deleted_at is null order by id offset $3 limit 2000) u,
                       generate_series(1, $4) n
                """,
                activities,
                units,
                offset,
                per_user,
            )
        print(f"history: {per_user} awards for {users:,} users in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        await conn.close()


def quests_exist(url: str) -> bool:
    async def go() -> bool:
        conn = await asyncpg.connect(url)
        try:
            return bool(
                await conn.fetchval(
                    "select coalesce(to_regclass('engage.quests'), to_regclass('quests.quests'),"
                    " to_regclass('engage.quest_pool')) is not null"
                )
            )
        finally:
            await conn.close()

    return asyncio.run(go())


# Ten of the shipped quests (engage.seed_quests), five a period, whose goals the benched
# activities move: XP, workouts, steps and runs (reality), commits, challenges and bugs (cyber).
BENCH_QUESTS = [
    "daily-steps-8k",
    "daily-xp-300",
    "daily-workouts-3",
    "daily-run-5k",
    "daily-commits-5",
    "weekly-reality-xp",
    "weekly-run-25k",
    "weekly-cyber-500",
    "weekly-challenges-3",
    "weekly-bugs-5",
]


async def activate_quests(conn: asyncpg.Connection, users: list[str]) -> None:
    """Give each of `users` 10 active quests of the current periods (5 daily, 5 weekly): exactly
    five a period are active and five are drawn, so drawing them here, set-based, gives what the
    real draw would, and no measured award pays the draw."""
    await conn.execute(
        "update engage.quests set active = (key = any($1::text[]))"
        " where active is distinct from (key = any($1::text[]))",
        BENCH_QUESTS,
    )
    await conn.execute("update engage.quest_settings set per_user = 5 where per_user <> 5")
    await conn.execute(
        """
        insert into engage.quest_progress (user_id, period, period_key, starts_at, expires_at, open, quest_ids, kinds,
                                           modes, activity_keys, targets, reward_xp, reward_coins, progress,
                                           completed_at, event_ids)
        select u.id, q.period, p.period_key, p.starts_at, p.expires_at, count(*),
               array_agg(q.id order by q.id), array_agg(q.kind order by q.id), array_agg(q.mode order by q.id),
               array_agg(q.activity_key order by q.id), array_agg(q.target order by q.id),
               array_agg(q.reward_xp order by q.id), array_agg(q.reward_coins order by q.id),
               array_agg(0::numeric order by q.id), array_agg(null::timestamptz order by q.id),
               array_agg(null::bigint order by q.id)
          from app.users u
         cross join engage.quests q
         cross join lateral engage.quest_period(q.period, now(), u.timezone) p
         where q.active and u.id = any($1::uuid[])
         group by u.id, q.period, p.period_key, p.starts_at, p.expires_at
        on conflict do nothing
        """,
        users,
    )


async def quests_drawn_before(url: str, users: list[str]) -> int:
    """How many of the quests scenario's users had this period's quests drawn by an earlier run
    on a kept database: their quests are mostly done and their rewards paid (paid once per
    period by key, even if the rows were drawn again), so such a run measures quest progress
    without completions. A new `--database` (or the next day, or week) gives fresh quests."""
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "select count(distinct user_id) from engage.quest_progress"
                " where user_id = any($1::uuid[]) and expires_at > now()",
                users,
            )
        )
    finally:
        await conn.close()


async def deactivate_quests(conn: asyncpg.Connection) -> None:
    """No active quest: the award's quest hook finds nothing to draw (the users of the other
    scenarios never had any)."""
    await conn.execute("update engage.quests set active = false where active")


async def switch_achievements(conn: asyncpg.Connection, keys: list[str]) -> None:
    """Activate exactly `keys`, writing only the rows that change."""
    await conn.execute(
        "update engage.achievements set active = (key = any($1::text[]))"
        " where active is distinct from (key = any($1::text[]))",
        keys,
    )


async def vacuum_switched(conn: asyncpg.Connection, quests_exist: bool) -> None:
    """What autovacuum does in a live database (the shared bench server runs with it off): the
    small catalogue tables the state switches rewrite are vacuumed and analysed, so a scenario
    does not read the dead rows of the switches before it (after 15 switches the 40
    achievements took 20 pages, and every award scans them), and the quest rows are analysed.
    Then every table is analysed: a fresh bench database's tables were empty when last analysed,
    so the awards' cached plans scanned xp.totals, xp.idempotency, engage.streaks and
    leagues.members whole, and an award cost more with every row booked (820 us, then 4,600,
    9,700, 14,900 in four rounds of 3,000). Autovacuum re-analyses a live database as it grows,
    and the new statistics make the cached plans re-plan."""
    tables = "engage.achievements, engage.tiers"
    if quests_exist:
        tables += ", engage.quests, engage.quest_settings, engage.quest_progress"
    await conn.execute(f"vacuum (analyze) {tables}")
    await conn.execute("analyze")


def set_state(url: str, keys: list[str], *, quests: bool, users: list[str], quests_exist: bool) -> int:
    """Switch what is active; returns the unlocks so far (to count a round's)."""

    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await switch_achievements(conn, keys)
            if quests:
                await activate_quests(conn, users)
            elif quests_exist:
                await deactivate_quests(conn)
            await vacuum_switched(conn, quests_exist)
        finally:
            await conn.close()

    asyncio.run(go())
    return unlocks(url)


def _count(url: str, query: str) -> int:
    async def go() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval(query))
        finally:
            await conn.close()

    return asyncio.run(go())


def unlocks(url: str) -> int:
    return _count(url, "select count(*) from engage.unlocks")


def completions(url: str) -> int:
    """Quest rewards booked so far (a completed quest with reward XP books one ledger row)."""
    return _count(url, "select count(*) from xp.ledger where source = 'quest'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--database", default=DATABASE, help="kept and reused")
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the bench database")
    parser.add_argument("--label", default="", help="a note for the results file (what code ran)")
    parser.add_argument(
        "--history", type=int, default=0, help="awards booked per user before the rounds (returning users)"
    )
    parser.add_argument(
        "--template",
        help="create --database as a copy of this database (one made by --keep-template: users and history, never"
        " benched), instead of booking the history again",
    )
    parser.add_argument(
        "--keep-template",
        metavar="NAME",
        help="once the users and history are booked, save a copy of the database as NAME for later --template runs",
    )
    args = parser.parse_args()
    harness.require_wrk()

    env = harness.app_env(
        POOL="20",
    )
    started = time.perf_counter()
    url = database(args.database, args.rebuild, args.template)
    os.environ["DATABASE_URL"] = url
    asyncio.run(ensure_users(url, args.users))
    keys, moved = asyncio.run(achievement_keys(url))
    with_quests = quests_exist(url)
    if not with_quests:
        print("note: no quests tables (engage.quests) in this schema: the quests scenario is skipped", flush=True)

    results: dict[str, list[harness.WrkResult]] = {}
    unlocked: list[tuple[int, int]] = []  # (unlocks, awards) per 'on' round
    completed: list[tuple[int, int]] = []  # (quest rewards, awards) per quests round
    # per award scenario, over its rounds: API process CPU s, the app's backends' CPU s, requests
    cpu: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        users_file, _, api_key = asyncio.run(run.fixtures(url, args.users, Path(tmp), tokens_wanted=0))
        users = users_file.read_text().split()
        if args.history:
            asyncio.run(book_history(url, keys, args.history, len(users)))
        if args.keep_template:
            xp_load.fresh_database(args.keep_template, args.database)
        print(f"database ready ({len(users):,} users) in {time.perf_counter() - started:.0f} s", flush=True)
        # Each award scenario awards its own users (every third, or half without quests): a
        # user never gains XP while achievements are off and then crosses nothing when they are
        # back on, so each scenario's unlocks are what its own awards cross.
        shares = 3 if with_quests else 2
        slices = [users[n::shares] for n in range(shares)]
        envs = []
        for n, part in enumerate(slices):
            path = Path(tmp) / f"users{n}.txt"
            path.write_text("\n".join(part) + "\n")
            envs.append({"XP_USERS": str(path), "XP_KEY": api_key})
        base = f"http://127.0.0.1:{APP_PORT}"
        baseline = f"http://127.0.0.1:{BASELINE_PORT}"
        with (
            harness.server(
                harness.uvicorn("bench.baseline:app", BASELINE_PORT),
                {**env, "DATABASE_URL": url},
                f"{baseline}/award",
                timeout=180,  # a busy machine imports slowly
            ),
            harness.server(
                harness.uvicorn("src.app:create_app", APP_PORT, factory=True),
                {**env, "DATABASE_URL": url},
                f"{base}/health",
                timeout=180,
            ) as app_process,
        ):
            scenarios: list[tuple[str, str, str, list[str] | None, bool, dict[str, str]]] = [
                ("baseline: insert + update", baseline, "baseline.lua", None, False, {}),
                ("award, nothing active", base, "engage_award.lua", [], False, envs[0]),
                (f"award, {moved} achievements active", base, "engage_award.lua", keys, False, envs[1]),
            ]
            if with_quests:
                scenarios.append(
                    ("award, achievements + 10 quests per user", base, "engage_award.lua", keys, True, envs[2])
                )
            set_state(url, [], quests=False, users=slices[-1], quests_exist=with_quests)
            drawn_before = asyncio.run(quests_drawn_before(url, slices[-1])) if with_quests else 0
            harness.run_wrk("warm-up", baseline, "baseline.lua", duration=3, connections=args.connections)
            harness.run_wrk("warm-up", base, "engage_award.lua", duration=3, connections=args.connections, env=envs[0])
            for n in range(args.rounds):
                for name, target, script, state, quests, wrk_env in scenarios:
                    before = (
                        set_state(url, state, quests=quests, users=slices[-1], quests_exist=with_quests)
                        if state is not None
                        else 0
                    )
                    paid = completions(url) if quests else 0
                    pids = run.backend_pids(url) if state is not None else []
                    cpu_before = (harness.cpu_seconds([app_process.pid]), harness.cpu_seconds(pids))
                    result = harness.run_wrk(
                        name, target, script, duration=args.duration, connections=args.connections, env=wrk_env
                    )
                    results.setdefault(name, []).append(result)
                    if state is not None:
                        spent = cpu.setdefault(name, [0.0, 0.0, 0])
                        spent[0] += harness.cpu_seconds([app_process.pid]) - cpu_before[0]
                        spent[1] += harness.cpu_seconds(pids) - cpu_before[1]
                        spent[2] += result.requests
                    if state:
                        unlocked.append((unlocks(url) - before, result.requests))
                    if quests:
                        completed.append((completions(url) - paid, result.requests))
                    print(f"round {n + 1}: {name}: {result.rps:,.0f} req/s, p99 {result.p99:.1f} ms", flush=True)
            set_state(url, [], quests=False, users=slices[-1], quests_exist=with_quests)

    medians = {name: run.median_run(r) for name, r in results.items()}
    names = list(medians)
    base_rps = medians[names[0]].rps
    off = medians[names[1]]
    on = medians[names[2]]
    rounds = "; ".join(f"{name}: " + ", ".join(f"{r.rps:,.0f}" for r in results[name]) for name in names)
    per_award = ", ".join(f"{u / max(a, 1):.2f}" for u, a in unlocked)
    lines = [
        harness.table(list(medians.values())),
        "",
        f"Median of {args.rounds} alternating rounds (req/s per round: {rounds}).",
        f"Unlocks per award in the 'on' rounds: {per_award} (a user's early awards cross the low tiers).",
        "Quest rewards per award in the quests rounds: "
        + (", ".join(f"{c / max(a, 1):.2f}" for c, a in completed) or "none")
        + (
            f" (note: {drawn_before:,} of the quests scenario's {len(slices[-1]):,} users had this period's"
            " quests drawn by an earlier run on this database: mostly done, rewards paid)"
            if drawn_before
            else ""
        )
        + ".",
        "",
        f"- award with {moved} achievements active (that awards move) vs none, same run: "
        f"**{on.rps / off.rps:.0%}** (target >= 80%)",
    ]
    if with_quests:
        both = medians[names[3]]
        lines.append(
            f"- award with achievements and 10 quests per user vs none: **{both.rps / off.rps:.0%}** (target >= 80%)"
        )
    else:
        lines.append("- quests: not in this schema, skipped (fill `activate_quests` in bench/engage.py)")
    lines.append(
        f"- vs the bare baseline: nothing active {off.rps / base_rps:.0%}, achievements active {on.rps / base_rps:.0%}"
        + (f", with quests {medians[names[3]].rps / base_rps:.0%}" if with_quests else "")
    )
    lines += [
        "",
        "CPU per award (all rounds; /proc of the API process and of the app's PostgreSQL backends: what the"
        " scenarios cost whatever else runs on the machine):",
        "",
        "| scenario | API process us | PostgreSQL backends us | both us | none / this |",
        "|---|---:|---:|---:|---:|",
    ]
    cpu_us = {
        name: ((a + b) / max(n, 1) * 1e6, a / max(n, 1) * 1e6, b / max(n, 1) * 1e6) for name, (a, b, n) in cpu.items()
    }
    none_cpu = cpu_us[names[1]][0] if names[1] in cpu_us else 0.0
    for name, (both_us, api_us, db_us) in cpu_us.items():
        lines.append(f"| {name} | {api_us:,.0f} | {db_us:,.0f} | {both_us:,.0f} | {none_cpu / both_us:.0%} |")
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"\n## {stamp}{' — ' + args.label if args.label else ''}\n\n"
        f"{len(users):,} users ({f'{args.history} awards each before the rounds' if args.history else 'new'}), "
        f"{args.connections} connections, {args.duration} s per wrk run, wrk -t1, "
        "one uvicorn worker per server.\n\n"
    )
    path = RESULTS / "engage.md"
    if not path.exists():
        path.write_text("# Engagement cost per award (bench/engage.py)\n")
    with path.open("a") as handle:
        handle.write(header + report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
