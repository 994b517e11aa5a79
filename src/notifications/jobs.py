"""Notification jobs: admin broadcasts fan out in SQL batches (never a Python loop per user)."""

from __future__ import annotations

from typing import Any

from src.db import database
from src.notifications import calls
from src.platform.cron import once_per_tick

BATCH = 10_000


async def run_broadcast(ctx: Any, *, broadcast_id: int) -> int:
    """Write one feed item per live user, batch after batch; resumable after a crash."""
    db = database(ctx)
    total = 0
    while written := await calls.broadcast_batch(db, broadcast_id, BATCH):
        total += written
    return total


@once_per_tick
async def sweep_broadcasts(ctx: Any) -> int:
    """Safety net: finish broadcasts whose job was lost (Redis down when enqueued, worker killed)."""
    db = database(ctx)
    total = 0
    for broadcast_id in await calls.broadcasts_pending(db):
        total += await run_broadcast(ctx, broadcast_id=broadcast_id)
    return total


CHUNK = 100  # pushes per send_each; each chunk's results are recorded before the next is sent


@once_per_tick
async def deliver_pushes(ctx: Any, *, limit: int = 500) -> int:
    """Fan new notifications out to devices, then send due pushes in chunks, recording each
    chunk's results at once: a crash loses at most one chunk's acknowledgements (those pushes
    go again: at least once, deduplicated by notification id on the device) and never the rest
    (their lease runs out and the next run sends them)."""
    import asyncio

    from src.notifications import fcm
    from src.settings import get_settings

    settings = get_settings()
    db = database(ctx)
    if not settings.firebase_credentials:
        return 0  # push is not configured (dev): the feed still works
    await calls.fan_out(db, 5_000)
    # a worker killed mid-send holds its claim until the lease (PUSH_LEASE_S) runs out
    rows = await calls.claim_deliveries(db, limit, settings.push_lease_s)
    pushes = [fcm.Push(r["outbox_id"], r["token"], r["title"], r["body"], r["data"] or {}, r["kind"]) for r in rows]
    sent = 0
    for start in range(0, len(pushes), CHUNK):
        chunk = pushes[start : start + CHUNK]
        try:
            results = await asyncio.to_thread(fcm.send, settings.firebase_credentials, settings.fcm_endpoint, chunk)
        except BaseException:
            rest = [{"outbox_id": p.outbox_id, "token": p.token} for p in pushes[start:]]
            await calls.release_deliveries(db, rest)
            raise
        await calls.record_deliveries(db, results)
        sent += sum(1 for r in results if r["status"] == "sent")
    return sent
