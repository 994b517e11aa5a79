"""Back-fills: an achievement added (or whose rule or tiers changed) later gets the progress the
ledger implies for every user, in batches (engage.backfill_batch). Each batch commits its cursor,
so a job that stops, or a worker that dies, resumes where it was; the sweep finishes any that
were not queued."""

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
