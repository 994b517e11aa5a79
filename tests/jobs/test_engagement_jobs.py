"""The back-fill job: an achievement added later gets the progress the ledger implies, in
batches whose cursor commits, so a job that stops resumes; the sweep finishes pending ones."""

from __future__ import annotations

import uuid

from src.engagement.jobs import backfill_achievement, sweep_backfills


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
