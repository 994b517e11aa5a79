"""XP housekeeping: ledger partitions made ahead of time."""

from __future__ import annotations

from typing import Any

from src.db import database
from src.platform.cron import once_per_tick


@once_per_tick
async def ensure_ledger_partitions(ctx: Any) -> int:
    """Keep monthly ledger partitions three months ahead (daily; idempotent)."""
    return int(await database(ctx).fetchval("select xp.ensure_ledger_partitions(now(), 4)"))
