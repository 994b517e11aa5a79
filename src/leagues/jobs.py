"""League jobs: the season's league close in batches, each its own short transaction.

The seasons cron (`src/seasons/jobs.py`, roll_seasons) runs `close_ended` before
`seasons.roll`: every ended season's league close is driven batch by batch here, so awards
never wait behind one long transaction and a crash resumes after the last committed batch
(leagues.closing). When seasons.close then calls leagues.close, nothing is left to do.
"""

from __future__ import annotations

import asyncio
import time

from src.db import Database
from src.leagues import calls

# Cohorts per batch: about 15,000 members, well under a second of work, a few seconds on a busy
# machine: far from the pool's statement timeout (15 s; docs/leagues.md).
COHORTS = 500
# Pause after each batch, as a share of the batch's own time: the close takes at most about
# 1 / (1 + YIELD) of one core and leaves the rest to the awards (2-core machine).
YIELD = 0.5
# Waiting first joins seated per transaction: each locks its tier's open cohort to its commit.
SEATS = 2_000


async def close_season(
    db: Database,
    season_id: str,
    *,
    cohorts: int = COHORTS,
    pause: float = YIELD,
    timings: list[float] | None = None,
) -> int:
    """Drive one season's league close to its end; returns the results written. `timings`, if
    given, receives each batch's seconds (bench/leagues_close.py)."""
    total = 0
    while True:
        started = time.perf_counter()
        rows = await calls.close_batch(db, season_id, cohorts)
        took = time.perf_counter() - started
        if timings is not None:
            timings.append(took)
        if rows is None:
            break
        total += rows
        if pause > 0:
            await asyncio.sleep(pause * took)
    while await calls.seat_pending(db, SEATS) == SEATS:
        pass
    return total


async def close_ended(db: Database) -> int:
    """The league close of every ended season not closed yet, batch by batch."""
    total = 0
    for season_id in await calls.closes_due(db):
        total += await close_season(db, season_id, cohorts=COHORTS, pause=YIELD)
    return total
