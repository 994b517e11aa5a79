"""XP housekeeping jobs and seed commands."""

from __future__ import annotations

import os
import subprocess
import sys

from src.settings import ROOT
from src.xp.jobs import ensure_ledger_partitions


async def test_partitions_are_kept_ahead_and_the_job_is_idempotent(test_env, db) -> None:
    ctx = {"db": db}
    await ensure_ledger_partitions(ctx)
    assert await ensure_ledger_partitions(ctx) == 0
    ahead = await db.fetchval(
        "select to_regclass('xp.ledger_' || to_char(now() + interval '3 months', 'YYYY_MM')) is not null"
    )
    assert ahead


def test_seed_commands_are_idempotent(test_env) -> None:
    for args in (
        ["seed", "quests"],
        ["seed", "activities"],
        ["seed", "layers"],
        ["seed", "levels"],
        ["seed", "demo"],
        ["seed", "demo"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "src.cli", *args],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-1500:]
    assert "seed_demo_xp: 0 new rows" in result.stdout  # the second demo seed added nothing


async def test_each_board_is_rebuilt_every_five_seconds_apart_and_ranks(test_env, db) -> None:
    from src.seasons.jobs import rebuild_cyber_board, rebuild_ranks, rebuild_reality_board
    from src.worker import SCHEDULE

    reality = next(j for j in SCHEDULE if j.function is rebuild_reality_board)
    cyber = next(j for j in SCHEDULE if j.function is rebuild_cyber_board)
    assert reality.cron == "* * * * * */5" and cyber.cron == "* * * * * 2-59/5"
    assert reality.unique and cyber.unique and reality.timeout and cyber.timeout
    user = await db.fetchval(
        "insert into app.users (username) values ('rankjob' || substr(md5(random()::text), 1, 8)) returning id"
    )
    await db.fetchval("select xp.award_fixed($1, 'cyber', 7, 'bot', $2)", user, f"rankjob-{user}")
    assert await rebuild_cyber_board({"db": db}) >= 1
    assert await rebuild_ranks({"db": db}) >= 1
    season = await db.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
    standing = await db.fetchval("select xp.season_standing($1, 'cyber', $2)", season, user)
    assert standing["rank"] >= 1 and standing["generated_at"] is not None


async def test_roll_seasons_job_is_scheduled_and_runs(test_env, db) -> None:
    from src.seasons.jobs import roll_seasons
    from src.worker import SCHEDULE

    job = next(j for j in SCHEDULE if j.function is roll_seasons)
    assert job.cron == "*/5 * * * *" and job.unique and job.timeout >= 300
    await roll_seasons({"db": db})
    current = await db.fetchval("select status from xp.seasons where id = to_char(now() at time zone 'UTC', 'YYYY-MM')")
    assert current == "active"
