"""XP housekeeping jobs: ledger partitions ahead of time, and season rank snapshots."""

from __future__ import annotations

import asyncio
from typing import Any

from src.jobs.context import database


async def ensure_ledger_partitions(ctx: Any) -> int:
    """Keep monthly ledger partitions three months ahead (daily; idempotent)."""
    return int(await database(ctx).fetchval("select xp.ensure_ledger_partitions(now(), 4)"))


async def rebuild_ranks(ctx: Any, season_id: str | None = None) -> int:
    """Rebuild the current season's rank snapshots (readers keep the previous ones meanwhile).
    The two boards are rebuilt side by side, each in a transaction of its own and published as
    soon as it is built, so a board's ranks are never older than the cadence plus its rebuild."""
    db = database(ctx)
    season = season_id or await db.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
    rows = await asyncio.gather(
        *(db.fetchval("select xp.rebuild_board($1, $2)", season, mode) for mode in ("reality", "cyber"))
    )
    return sum(int(n) for n in rows)


async def roll_seasons(ctx: Any) -> int:
    """Open this month's and next month's seasons and close ended ones (freezes standings)."""
    return int(await database(ctx).fetchval("select seasons.roll()"))
