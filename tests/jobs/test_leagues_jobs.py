"""The seasons cron drives each ended season's league close in batches, each its own
transaction, before seasons.roll closes the season (src/leagues/jobs.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest


async def _seed(db: Any, months_ago: int, sizes: list[int]) -> tuple[str, list[uuid.UUID]]:
    season: str = await db.fetchval("select (xp.season_for(now() - make_interval(months => $1))).id", months_ago)
    await db.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", season)
    await db.execute("delete from leagues.closes where season_id = $1", season)
    everyone: list[uuid.UUID] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq, size in enumerate(sizes, 1):
        users = [
            r["id"]
            for r in await db.fetch(
                "insert into app.users (username) select 'lj' || substr(md5(random()::text || g), 1, 14)"
                " from generate_series(1, $1) g returning id",
                size,
            )
        ]
        cohort = await db.fetchval(
            "insert into leagues.cohorts (season_id, mode, tier, seq, capacity, members)"
            " values ($1, 'reality', 2, $2, 30, $3) returning id",
            season,
            seq + 1000,
            size,
        )
        for seat, user in enumerate(users, 1):
            await db.execute(
                "insert into leagues.members (season_id, mode, user_id, cohort_id, tier, seat)"
                " values ($1, 'reality', $2, $3, 2, $4)",
                season,
                user,
                cohort,
                seat,
            )
            await db.execute(
                "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, 'reality', $2, $3, $4)",
                season,
                user,
                100 - seat,
                start + timedelta(minutes=seat),
            )
        everyone += users
    return season, everyone


async def test_the_roll_job_closes_the_leagues_in_batches_before_the_season(
    test_env: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from src.leagues import jobs as leagues_jobs
    from src.seasons.jobs import roll_seasons

    # a season of its own, far back: the SQL tests reopen the last few months
    season, users = await _seed(db, 20, [10, 12, 30])
    batches: list[float] = []
    real = leagues_jobs.close_season

    async def counted(*args: Any, **kwargs: Any) -> int:
        return await real(*args, **{**kwargs, "timings": batches})

    monkeypatch.setattr(leagues_jobs, "COHORTS", 1)
    monkeypatch.setattr(leagues_jobs, "MIN_COHORTS", 1)
    monkeypatch.setattr(leagues_jobs, "MAX_COHORTS", 1)
    monkeypatch.setattr(leagues_jobs, "YIELD", 0.0)
    monkeypatch.setattr(leagues_jobs, "close_season", counted)
    try:
        await _roll_and_check(db, roll_seasons, season, users, batches)
    finally:  # committed rows: the placements would make these users idle in other tests' closes
        await db.execute("delete from leagues.placements where user_id = any($1::uuid[])", users)
        await db.execute("delete from notify.outbox where user_id = any($1::uuid[])", users)


async def _roll_and_check(
    db: Any, roll_seasons: Any, season: str, users: list[uuid.UUID], batches: list[float]
) -> None:
    await roll_seasons({"db": db})
    assert len(batches) >= 3  # one transaction per cohort at least
    assert await db.fetchval("select status from xp.seasons where id = $1", season) == "closed"
    assert not await db.fetchval("select count(*) from leagues.closing where season_id = $1", season)
    assert await db.fetchval("select count(*) from leagues.closes where season_id = $1", season) == 2
    rows = await db.fetch(
        "select user_id, rank, move from leagues.results where season_id = $1 and user_id = any($2::uuid[])",
        season,
        users,
    )
    assert len(rows) == 52
    # per cohort of 10 / 12 / 30: ceil(10 %) up, floor(20 %) down
    assert sum(r["move"] == "promoted" for r in rows) == 1 + 2 + 3
    assert sum(r["move"] == "demoted" for r in rows) == 2 + 2 + 6
    assert (
        await db.fetchval(
            "select count(*) from notify.outbox where kind = 'league_result' and user_id = any($1::uuid[])", users
        )
        == 52
    )
    # the next roll finds nothing left: no batch writes anything twice
    await roll_seasons({"db": db})
    assert await db.fetchval("select count(*) from leagues.results where user_id = any($1::uuid[])", users) == 52


async def test_waiting_joins_are_seated_once_the_tiers_are_decided_before_the_notes(
    test_env: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first XP of the next season that waited for this close (leagues.pending) gets its
    cohort as soon as the mode's tiers are decided, not after every member's notifications."""
    from src.leagues import calls
    from src.leagues import jobs as leagues_jobs

    season, users = await _seed(db, 22, [10, 12])
    following: str = await db.fetchval("select (xp.season_for(to_date($1, 'YYYY-MM') + interval '1 month')).id", season)
    waiting = users[0]
    await db.execute(
        "insert into leagues.pending (season_id, mode, user_id) values ($1, 'reality', $2)", following, waiting
    )
    seen: list[tuple[str, bool]] = []
    real = calls.close_batch

    async def watched(database: Any, season_id: str, cohorts: int) -> int | None:
        phase = await db.fetchval(
            "select phase from leagues.closing where season_id = $1 and mode = 'reality'", season_id
        )
        seated = await db.fetchval(
            "select exists (select from leagues.members where season_id = $1 and mode = 'reality' and user_id = $2)",
            following,
            waiting,
        )
        seen.append((phase, seated))
        return await real(database, season_id, cohorts)

    monkeypatch.setattr(calls, "close_batch", watched)
    try:
        await leagues_jobs.close_season(db, season, cohorts=1, pause=0)
        notes = [seated for phase, seated in seen if phase == "notes"]
        assert notes and all(notes)  # seated before the first notes batch
        assert not any(seated for phase, seated in seen if phase in ("standings", "cohorts"))
        # the tier the close gave them: rank 1 of 10 in tier 2 goes up
        assert (
            await db.fetchval(
                "select tier from leagues.members where season_id = $1 and mode = 'reality' and user_id = $2",
                following,
                waiting,
            )
            == 3
        )
    finally:  # committed rows: the placements would make these users idle in other tests' closes
        await db.execute("delete from leagues.members where user_id = any($1::uuid[])", users)
        await db.execute("delete from leagues.placements where user_id = any($1::uuid[])", users)
        await db.execute("delete from notify.outbox where user_id = any($1::uuid[])", users)
