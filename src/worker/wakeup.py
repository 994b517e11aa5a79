"""Prompt push delivery: the worker LISTENs on 'xpcore_outbox' (notify.enqueue and the batch
writers NOTIFY on commit) and queues a delivery run at once; the minutely cron is the safety
net for anything a lost connection missed."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg

log = logging.getLogger("xpcore.wakeup")
CHANNEL = "xpcore_outbox"


async def listen(dsn: str, queue: Any) -> asyncpg.Connection | None:
    """Open a dedicated listening connection; None (logged) when the database is unreachable."""
    tasks: set[asyncio.Task[Any]] = set()

    def on_notify(*_: Any) -> None:
        # one queued run per second at most: a burst of notifications wakes one delivery
        task = asyncio.get_running_loop().create_task(
            queue.enqueue("deliver_pushes", key=f"deliver-pushes-{int(time.time())}", timeout=300, retries=3)
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    try:
        conn = await asyncpg.connect(dsn)
        await conn.add_listener(CHANNEL, on_notify)
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("outbox listener not started (%s); the cron sweep still delivers", type(exc).__name__)
        return None
    return conn
