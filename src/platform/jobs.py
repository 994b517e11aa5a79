"""A cron job that proves the worker runs: it upserts its heartbeat row once a minute."""

from __future__ import annotations

from typing import Any

from src.db import database
from src.platform import calls
from src.platform.cron import once_per_tick


@once_per_tick
async def heartbeat(ctx: Any) -> str:
    return (await calls.beat(database(ctx), "worker")).isoformat()
