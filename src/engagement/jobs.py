"""Back-fills: an achievement added (or whose rule or tiers changed) later gets the progress the
ledger implies for every user, in batches (engage.backfill_batch). Each batch commits its cursor,
so a job that stops, or a worker that dies, resumes where it was; the sweep finishes any that
were not queued.

Streaks: every 15 minutes (time zones are whole, half or quarter hours apart) the close job
settles the local day that ended in each time zone with live streaks, once per (time zone, day)
(engage.streak_closes), in batches that each commit."""

from __future__ import annotations

import logging
from typing import Any

from src.db import database
from src.engagement import calls
from src.platform.cron import once_per_tick

log = logging.getLogger("xpcore.engagement")

BATCH = 500


async def backfill_achievement(ctx: Any, *, achievement: str, batch: int = BATCH) -> int:
    """Runs an achievement's back-fill to its end; returns the users it went through."""
    db = database(ctx)
    total = 0
    while done := await calls.backfill_batch(db, achievement, batch):
        total += done
    log.info("achievement %s back-filled: %s users", achievement, total)
    return total


@once_per_tick
async def sweep_backfills(ctx: Any) -> int:
    """Finishes every pending back-fill (the cron safety net); returns how many it ran."""
    db = database(ctx)
    keys = await calls.backfills_pending(db)
    for key in keys:
        await backfill_achievement(ctx, achievement=key)
    return len(keys)


STREAK_BATCH = 1000


@once_per_tick
async def close_streak_days(ctx: Any, *, batch: int = STREAK_BATCH) -> int:
    """Closes yesterday in every time zone where it has ended and was not closed yet: streaks whose
    last day is before it spend a freeze per missed day, or end. Returns the streaks settled."""
    db = database(ctx)
    total = 0
    for tz, day in await calls.streak_close_due(db):
        settled = 0
        while done := await calls.streak_close(db, tz, day, batch):
            settled += done
        if settled:
            log.info("streak day %s closed in %s: %s streaks settled", day, tz, settled)
        total += settled
    return total
