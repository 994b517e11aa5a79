"""XP housekeeping jobs: ledger partitions ahead of time, and season rank snapshots."""

from __future__ import annotations

from typing import Any

from src.jobs.context import database


async def ensure_ledger_partitions(ctx: Any) -> int:
    """Keep monthly ledger partitions three months ahead (daily; idempotent)."""
    return int(await database(ctx).fetchval("select xp.ensure_ledger_partitions(now(), 4)"))


async def rebuild_ranks(ctx: Any, season_id: str | None = None) -> int:
    """Rebuild the current season's rank snapshot (readers keep the previous one meanwhile)."""
    db = database(ctx)
    season = season_id or await db.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
    return int(await db.fetchval("select xp.rebuild_ranks($1)", season))


async def roll_seasons(ctx: Any) -> int:
    """Open this month's and next month's seasons and close ended ones (freezes standings)."""
    return int(await database(ctx).fetchval("select seasons.roll()"))
