"""Season jobs: the rank snapshots of the boards, and the roll that opens and closes seasons."""

from __future__ import annotations

from typing import Any

from src.db import Database, database
from src.leagues import jobs as leagues_jobs
from src.platform.cron import once_per_tick
from src.seasons import calls
from src.settings import get_settings


async def rebuild_board(ctx: Any, mode: str, season_id: str | None = None) -> int:
    """Rebuild one board's rank snapshot for the current season (readers keep the previous one
    meanwhile); it is published when its transaction commits. With read replicas, then (in its
    own transaction, so the primary's readers get the new snapshot first) its logged copy for
    them, at most every RANK_REPLICA_SNAPSHOT_EVERY_S."""
    db = database(ctx)
    season_id = season_id or await calls.current_season_id(db)
    rows = await calls.rebuild_board(db, season_id, mode)
    await publish_replica_board(db, season_id, mode)
    return rows


async def publish_replica_board(db: Database, season_id: str, mode: str) -> int | None:
    """The board's logged copy for the replicas (xp.publish_replica_board), when it is due. The
    replicas stop serving a copy that missed two publishes (its stale_after: twice the cadence
    plus the replicas' max lag) and send those reads to the primary."""
    settings = get_settings().database
    every = settings.rank_replica_snapshot_every_s
    if not settings.replica_urls or every <= 0:
        return None
    return await calls.publish_replica_board(db, season_id, mode, every, 2 * every + settings.replica_max_lag_s)


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
