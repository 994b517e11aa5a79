"""XP housekeeping: keep monthly ledger partitions three months ahead (daily, unique)."""

from __future__ import annotations

from typing import Any

from src.jobs.context import database


async def ensure_ledger_partitions(ctx: Any) -> int:
    return int(await database(ctx).fetchval("select xp.ensure_ledger_partitions(now(), 4)"))
