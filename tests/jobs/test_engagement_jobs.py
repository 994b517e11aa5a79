"""The back-fill job: an achievement added later gets the progress the ledger implies, in
batches whose cursor commits, so a job that stops resumes; the sweep finishes pending ones. The
streak close job settles the day that ended in each time zone, once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from src.engagement.jobs import backfill_achievement, close_streak_days, sweep_backfills


async def test_a_back_fill_runs_in_batches_resumes_and_is_swept(test_env, db) -> None:
    key = f"job-{uuid.uuid4().hex[:8]}"
    users = []
    for n in range(3):
        user = await db.fetchval(
            "insert into app.users (username) values ($1) returning id", f"j{uuid.uuid4().hex[:12]}"
        )
        users.append(user)
        for run in range(n + 1):
            await db.fetchval("select xp.award($1, 'hike_km', 2, 'activity', $2)", user, f"{user}:h{run}")
    try:
        await db.fetchval(
            "select engage.upsert($1)",
            {
                "key": key,
                "name": "Hiker",
                "mode": "reality",
                "rule": {"kind": "activity_events", "params": {"activity": "hike_km"}},
                "tiers": [{"name": "bronze", "threshold": 2}],
            },
        )
        # A worker that stopped after one batch: the next run starts where it was.
        assert await db.fetchval("select engage.backfill_batch($1, 1)", key) == 1
        ctx = {"db": db}
        total_users = await db.fetchval("select count(*) from app.users where deleted_at is null")
        assert await backfill_achievement(ctx, achievement=key, batch=2) == total_users - 1
        assert await backfill_achievement(ctx, achievement=key) == 0  # done: nothing more
        values = [
            await db.fetchval(
                "select engage.current_value($2, a) from engage.achievements a where a.key = $1",
                key,
                user,
            )
            for user in users
        ]
        assert values == [1, 2, 3]
        unlocked = await db.fetchval(
            "select count(*) from engage.unlocks u join engage.achievements a on a.id = u.achievement_id where a.key = $1",
            key,
        )
        assert unlocked == 2
        # A changed tier restarts it; the sweep runs what is pending, unlocking only what is new.
        await db.fetchval(
            "select engage.upsert($1)",
            {
                "key": key,
                "name": "Hiker",
                "mode": "reality",
                "rule": {"kind": "activity_events", "params": {"activity": "hike_km"}},
                "tiers": [{"name": "bronze", "threshold": 2}, {"name": "silver", "threshold": 3}],
            },
        )
        assert key in [r["key"] for r in await db.fetch("select key from engage.backfills_pending() as key")]
        assert await sweep_backfills(ctx) >= 1
        assert (
            await db.fetchval(
                "select count(*) from notify.outbox where kind = 'achievement_unlocked' and data ->> 'achievement' = $1",
                key,
            )
            == 3
        )
    finally:
        await db.execute("update engage.achievements set active = false where key = $1", key)


async def test_the_streak_close_job_settles_yesterday_once(test_env, db) -> None:
    tz = "America/St_Johns"  # UTC-3:30: a zone only this test closes
    user = await db.fetchval(
        "insert into app.users (username, timezone) values ($1, $2) returning id", f"j{uuid.uuid4().hex[:12]}", tz
    )
    today = await db.fetchval("select (now() at time zone $1)::date", tz)
    for back in (3, 2):  # two days, then yesterday missed with no freeze
        await db.execute("select engage.streak_day($1, 'cyber', $2, $3)", user, today - timedelta(days=back), tz)
    ctx = {"db": db}
    assert await close_streak_days(ctx, batch=1) >= 1
    row = await db.fetchrow("select current, longest from engage.streaks where user_id = $1", user)
    assert (row["current"], row["longest"]) == (0, 2)
    closed = await db.fetchrow(
        "select streaks, closed_at from engage.streak_closes where tz = $1 and day = $2", tz, today - timedelta(days=1)
    )
    assert closed["streaks"] >= 1 and closed["closed_at"] is not None
    # Run again: that day is closed; a run that would match now is left alone.
    await db.execute("update engage.streaks set current = 2 where user_id = $1", user)
    await close_streak_days(ctx)
    assert await db.fetchval("select current from engage.streaks where user_id = $1", user) == 2
