"""Notification jobs: admin broadcasts fan out in SQL batches (never a Python loop per user)."""

from __future__ import annotations

from typing import Any

from src.jobs.context import database
from src.sql import notifications as sql

BATCH = 10_000


async def run_broadcast(ctx: Any, *, broadcast_id: int) -> int:
    """Write one feed item per live user, batch after batch; resumable after a crash."""
    db = database(ctx)
    total = 0
    while written := int(await db.fetchval(sql.BROADCAST_BATCH, broadcast_id, BATCH)):
        total += written
    return total


async def sweep_broadcasts(ctx: Any) -> int:
    """Safety net: finish broadcasts whose job was lost (Redis down when enqueued, worker killed)."""
    db = database(ctx)
    total = 0
    for row in await db.fetch(sql.BROADCASTS_PENDING):
        total += await run_broadcast(ctx, broadcast_id=row["id"])
    return total
