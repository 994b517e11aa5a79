"""League jobs: the season's close in batches, each its own short transaction.

The seasons cron (`src/seasons/jobs.py`, roll_seasons) runs `close_ended` before
`seasons.roll`: every ended season's close (final standings, league results, placements and
notifications: leagues.close_batch's four phases, docs/leagues.md) is driven batch by batch
here, so awards never wait behind one long transaction and a crash resumes after the last
committed batch (leagues.closing). When seasons.close then calls leagues.close, nothing is left
to do.
"""

from __future__ import annotations

import asyncio
import time

from src.db import Database
from src.leagues import calls

# Cohorts per batch to start with: about 15,000 members, under a second of work on a quiet
# machine. The driver then sizes each batch to take about TARGET_S (between MIN and MAX cohorts):
# a busy machine gets smaller batches, far from the pool's statement timeout (15 s), which a
# fixed 500 came within 3 s of at 1M members with the machine at load 17 (docs/leagues.md).
COHORTS = 500
TARGET_S = 2.0
MIN_COHORTS, MAX_COHORTS = 50, 2_000
# Pause after each batch, as a share of the batch's own time: the close takes at most about
# 1 / (1 + YIELD) of one core and leaves the rest to the awards (2-core machine).
YIELD = 0.5
# Between steps that did no work (waiting for the transactions older than the close to end)
WAIT_S = 0.05
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
    """Drive one season's league close to its end, starting with batches of `cohorts` cohorts,
    resized after each to take about TARGET_S; returns the results written. `timings`, if given,
    receives each batch's seconds (bench/leagues_close.py)."""
    total = 0
    decided = 0
    while True:
        started = time.perf_counter()
        rows = await calls.close_batch(db, season_id, cohorts)
        took = time.perf_counter() - started
        if timings is not None:
            timings.append(took)
        if rows is None:
            break
        total += rows
        # A mode's tiers were just decided (its close recorded; its notifications still to
        # come): the next season's first joins that waited for them are seated now, not after a
        # million notifications.
        if (now_decided := await calls.modes_decided(db, season_id)) > decided:
            decided = now_decided
            await _seat_waiting(db)
        if pause > 0:
            await asyncio.sleep(pause * took)
        if took >= TARGET_S / 10:
            cohorts = max(MIN_COHORTS, min(MAX_COHORTS, round(cohorts * TARGET_S / took)))
        elif rows == 0:
            # a step that ended a phase, or one that waits for the awards that began before the
            # close (leagues.close_batch): it says nothing about the batch size
            await asyncio.sleep(WAIT_S)
    await _seat_waiting(db)
    return total


async def _seat_waiting(db: Database) -> None:
    """Seat the first joins whose previous season's close has decided their tier, SEATS per
    transaction."""
    while await calls.seat_pending(db, SEATS) == SEATS:
        pass


async def close_ended(db: Database) -> int:
    """The league close of every ended season not closed yet, batch by batch."""
    total = 0
    for season_id in await calls.closes_due(db):
        total += await close_season(db, season_id, cohorts=COHORTS, pause=YIELD)
    return total
