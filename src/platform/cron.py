"""Once per tick: a cron job's tick runs on one worker, however many workers run.

SAQ's `unique=True` (key `cron:<function>`) keeps one job per cron function in Redis while it
is queued or running. It cannot stop a worker whose schedule loop enqueues a tick again after
another worker finished it (its clock behind, its loop late): the key is free by then. So the
first attempt of a cron job claims its (job, tick) row in `app.cron_runs` (`app.cron_claim`,
migration 0023) and a second claimer of the same tick skips. SAQ's retries of a claimed run
(attempt 2 and later) run again; jobs queued by hand or by a wake-up (no `cron:` key) are not
cron ticks and always run.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from src.db import Database, database

log = logging.getLogger("xpcore.cron")
R = TypeVar("R")
WORKER = f"{socket.gethostname()}:{os.getpid()}"


async def claim(db: Database, job: str, tick: datetime) -> bool:
    """True for the first claimer of this job's tick."""
    return bool(await db.fetchval("select app.cron_claim($1, $2, $3)", job, tick, WORKER))


def once_per_tick(function: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R | None]]:
    """Wrap a cron job: a tick another worker already claimed answers None without running."""

    @functools.wraps(function)
    async def run(ctx: Any, **kwargs: Any) -> R | None:
        job = ctx.get("job")
        key = str(getattr(job, "key", "") or "")
        scheduled = int(getattr(job, "scheduled", 0) or 0)
        if key.startswith("cron:") and scheduled and int(getattr(job, "attempts", 1) or 1) <= 1:
            tick = datetime.fromtimestamp(scheduled, UTC)
            if not await claim(database(ctx), function.__qualname__, tick):
                log.info("cron %s: tick %s already ran on another worker; skipped", function.__qualname__, tick)
                return None
        return await function(ctx, **kwargs)

    return run
