"""Only write paths store seasons (seasons.roll, and an award's own month through
xp.season_for), so every read of a board is stable and reading 'current' stores nothing."""

from __future__ import annotations

import uuid

# The seasons functions that write, and the one read that must see commits made while it runs.
SEASONS_VOLATILE = {
    "seasons.close": "freezes standings and notifies",
    "seasons.roll": "stores seasons and closes ended ones",
    "seasons.around": "reads the board pointer again after its walk with a fresh snapshot",
    "seasons.arounds": "seasons.around for many callers in one call",
}
STABLE_READS = [
    "seasons.resolve",
    "seasons.leaderboard",
    "seasons.all_time",
    "seasons.list",
    "xp.season_of",
    "xp.profile",
]


async def test_the_season_reads_are_not_volatile(conn) -> None:
    rows = await conn.fetch(
        "select n.nspname || '.' || p.proname as name, p.provolatile::text as provolatile from pg_proc p"
        " join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('seasons', 'xp')"
    )
    volatility = {r["name"]: r["provolatile"] for r in rows}
    assert {name: volatility[name] for name in STABLE_READS} == {name: "s" for name in STABLE_READS}
    volatile_seasons = {name for name, v in volatility.items() if name.startswith("seasons.") and v == "v"}
    assert volatile_seasons == set(SEASONS_VOLATILE)


async def _without_the_current_season(conn) -> str:
    """The database as it is in a month's first minutes, before the roll job stored it."""
    current = await conn.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
    await conn.execute("delete from seasons.final_standings where season_id = $1", current)
    await conn.execute("delete from xp.season_scores where season_id = $1", current)
    for table in ("leagues.members", "leagues.openings", "leagues.cohorts"):  # cohorts joined by earlier awards
        await conn.execute(f"delete from {table} where season_id = $1", current)
    await conn.execute("delete from xp.seasons where id = $1", current)
    return current  # type: ignore[no-any-return]


async def _stored(conn, season: str) -> bool:
    return bool(await conn.fetchval("select exists (select from xp.seasons where id = $1)", season))


async def test_reading_current_without_a_season_stores_nothing(conn) -> None:
    user = await conn.fetchval(
        "insert into app.users (username) values ($1) returning id", f"sr{uuid.uuid4().hex[:12]}"
    )
    current = await _without_the_current_season(conn)
    resolved = await conn.fetchval("select seasons.season_json(seasons.resolve('current'))")
    assert resolved["id"] == current and resolved["status"] == "active" and resolved["closed_at"] is None
    page = await conn.fetchval("select seasons.leaderboard('current', 'reality', null, 5)")
    assert page["season"] == resolved and page["entries"] == [] and page["next_cursor"] is None
    around = await conn.fetchval("select seasons.around('current', 'cyber', $1, 2)", user)
    assert around["season"] == resolved and around["rank"] is None
    listed = await conn.fetchval("select seasons.list()")
    assert resolved in listed and len({s["id"] for s in listed}) == len(listed)
    assert not await _stored(conn, current)

    # The roll job stores the row the reads showed, and the next month.
    await conn.fetchval("select seasons.roll()")
    assert await conn.fetchval("select seasons.season_json(seasons.resolve('current'))") == resolved
    assert await _stored(conn, current)


async def test_an_award_stores_its_season_when_the_roll_job_has_not(conn) -> None:
    user = await conn.fetchval(
        "insert into app.users (username) values ($1) returning id", f"sr{uuid.uuid4().hex[:12]}"
    )
    current = await _without_the_current_season(conn)
    award = await conn.fetchval("select xp.award_fixed($1, 'reality', 40, 'bot', $2)", user, uuid.uuid4().hex)
    assert award["xp_awarded"] == 40
    assert await conn.fetchval("select status from xp.seasons where id = $1", current) == "active"
    page = await conn.fetchval("select seasons.leaderboard('current', 'reality', null, 5)")
    assert [e["user"]["id"] for e in page["entries"]] == [str(user)]


async def test_every_upgrade_stores_this_month_and_the_next(conn) -> None:
    from src.migrations import AFTER_MIGRATE

    current = await _without_the_current_season(conn)
    await conn.execute(AFTER_MIGRATE.read_text())
    following = await conn.fetchval("select to_char((now() at time zone 'UTC') + interval '1 month', 'YYYY-MM')")
    assert await _stored(conn, current) and await _stored(conn, following)
