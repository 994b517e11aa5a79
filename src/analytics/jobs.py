"""The refresh of the analytics materialized views (daily_xp, the distributions, user_growth):
one at a time, each concurrently (readers keep the previous contents, never wait), each in its
own transaction, skipped when another refresh of it is running. Cron: ANALYTICS_REFRESH_CRON
(every 5 minutes by default; src/worker/__init__.py)."""

from __future__ import annotations

import logging
import time
from typing import Any

from src.analytics import calls
from src.db import database
from src.platform.cron import once_per_tick

log = logging.getLogger("xpcore.analytics")

# the cron job's timeout; each view's statement gets the same, so a stuck refresh ends with it
REFRESH_TIMEOUT_S = 600


@once_per_tick
async def refresh_analytics(ctx: Any) -> dict[str, float | None]:
    """Refresh every analytics materialized view; returns each one's ms (None: skipped)."""
    db = database(ctx)
    started = time.perf_counter()
    taken: dict[str, float | None] = {}
    for view in await calls.matviews(db):
        ms = taken[view] = await calls.refresh(db, view, REFRESH_TIMEOUT_S)
        if ms is None:
            log.info("analytics.%s not refreshed: another refresh of it is running", view)
        else:
            log.info("analytics.%s refreshed in %.0f ms", view, ms)
    log.info("analytics refreshed: %s views in %.0f ms", len(taken), (time.perf_counter() - started) * 1000)
    return taken
