"""Season jobs: the rank snapshots of the boards, and the roll that opens and closes seasons."""

from __future__ import annotations

from typing import Any

from src.db import database
from src.leagues import jobs as leagues_jobs
from src.platform.cron import once_per_tick
from src.seasons import calls


async def rebuild_board(ctx: Any, mode: str, season_id: str | None = None) -> int:
    """Rebuild one board's rank snapshot for the current season (readers keep the previous one
    meanwhile); it is published when its transaction commits."""
    db = database(ctx)
    return await calls.rebuild_board(db, season_id or await calls.current_season_id(db), mode)


# One cron job per board, 2 s apart (src/worker/__init__.py): the two rebuilds barely overlap,
# so each board's ranks are at most the cadence plus its own rebuild old. Side by side, they
# competed for the 2 cores and each took twice as long.
@once_per_tick
async def rebuild_reality_board(ctx: Any) -> int:
    """Rebuild the current season's reality board."""
    return await rebuild_board(ctx, "reality")


@once_per_tick
async def rebuild_cyber_board(ctx: Any) -> int:
    """Rebuild the current season's cyber board."""
    return await rebuild_board(ctx, "cyber")


async def rebuild_ranks(ctx: Any, season_id: str | None = None) -> int:
    """Rebuild both boards of a season, one after the other (on demand, e.g. after an operator
    fixed season scores)."""
    return sum([await rebuild_board(ctx, mode, season_id) for mode in ("reality", "cyber")])


@once_per_tick
async def roll_seasons(ctx: Any) -> int:
    """Open this month's and next month's seasons and close ended ones (freezes standings).
    Their league closes run first, in batches of short transactions (src/leagues/jobs.py), so
    seasons.close finds them done."""
    db = database(ctx)
    await leagues_jobs.close_ended(db)
    return await calls.roll(db)
