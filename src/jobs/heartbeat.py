"""A cron job that proves the worker runs: it upserts its heartbeat row once a minute."""

from __future__ import annotations

from typing import Any

from src.jobs.context import database


async def heartbeat(ctx: Any) -> str:
    beat_at = await database(ctx).fetchval("select app.beat('worker')")
    return beat_at.isoformat()
