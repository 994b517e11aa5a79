"""Closing a season: final standings frozen once, one notification per participant, no more XP."""

from __future__ import annotations

import asyncpg
import pytest


async def _ended_season_with_scores(conn) -> tuple[str, list]:
    season = await conn.fetchval("select (xp.season_for(now() - interval '40 days')).id")
    await conn.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", season)
    users = [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'sc' || substr(md5(random()::text), 1, 12) from generate_series(1, 6)"
            " returning id"
        )
    ]
    for n, user in enumerate(users):
        await conn.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, $2, $3, $4, now() - $5 * interval '1 minute')",
            season,
            "cyber" if n % 2 else "reality",
            user,
            [50, 50, 20, 70, 0, 30][n],
            n,
        )
    return season, users


async def test_close_freezes_standings_and_notifies_once(conn) -> None:
    season, users = await _ended_season_with_scores(conn)
    first = await conn.fetchval("select seasons.close($1)", season)
    again = await conn.fetchval("select seasons.close($1)", season)
    assert first == again == 5  # the user with 0 XP did not take part
    standings = {
        (r["mode"], r["user_id"]): r["rank"]
        for r in await conn.fetch(
            "select mode, user_id, rank from seasons.final_standings where season_id = $1", season
        )
    }
    # reality: users 0 (50, reached earlier than ... ), 2 (20); cyber: 3 (70), 1 (50), 5 (30)
    assert standings[("cyber", users[3])] == 1 and standings[("cyber", users[1])] == 2
    assert standings[("reality", users[0])] == 1 and standings[("reality", users[2])] == 2
    notes = await conn.fetch(
        "select user_id, data from notify.outbox where kind = 'season_final_standing' and data->>'season_id' = $1",
        season,
    )
    assert len(notes) == 5 and {n["user_id"] for n in notes} == {u for k, u in standings}
    assert (await conn.fetchval("select status from xp.seasons where id = $1", season)) == "closed"


async def test_a_closed_season_takes_no_more_xp(conn) -> None:
    season, users = await _ended_season_with_scores(conn)
    await conn.fetchval("select seasons.close($1)", season)
    # The award path checks the season of occurred_at; a closed current season (rolled back
    # with the test) stands in for a late award within the 31 days that are still accepted.
    current = await conn.fetchval("select (xp.season_for(now())).id")
    await conn.execute("update xp.seasons set status = 'closed', closed_at = now() where id = $1", current)
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select xp.award_fixed($1, 'cyber', 5, 'bot', 'late')", users[0])
    assert raised.value.sqlstate == "XP422" and "is closed" in str(raised.value)
    assert await conn.fetchval("select count(*) from xp.ledger where user_id = $1", users[0]) == 0


async def test_a_running_season_cannot_be_closed_and_roll_opens_next_month(conn) -> None:
    current = await conn.fetchval("select (xp.season_for(now())).id")
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select seasons.close($1)", current)
    assert raised.value.sqlstate == "XP409"
    season, _ = await _ended_season_with_scores(conn)
    closed = await conn.fetchval("select seasons.roll()")
    assert closed >= 1 and (await conn.fetchval("select status from xp.seasons where id = $1", season)) == "closed"
    next_month = await conn.fetchval("select to_char(now() + interval '1 month', 'YYYY-MM')")
    assert await conn.fetchval("select status from xp.seasons where id = $1", next_month) == "upcoming"


async def test_the_close_in_batches_freezes_the_board_once_and_refuses_late_xp(conn) -> None:
    """leagues.close_batch walks each board's ranking index in batches of 30 lines (ties on XP
    and on reached_at across batch edges): the same ranks as seasons.board_ranks in one statement,
    one final-standing notification per live user and mode; from its first batch on, XP dated in
    the season is refused."""
    last_second = await conn.fetchval("select date_trunc('month', now()) - interval '1 second'")
    season = await conn.fetchval("select (xp.season_for($1)).id", last_second)
    await conn.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", season)
    await conn.execute("delete from leagues.closes where season_id = $1", season)
    users = [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'sb' || substr(md5(random()::text || g), 1, 12)"
            " from generate_series(1, 80) g returning id"
        )
    ]
    await conn.executemany(
        "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)"
        " values ($1, $2, $3, $4, $5::timestamptz - $6 * interval '1 minute')",
        [
            (season, mode, user, [0, 5, 5, 10, 20][n % 5], last_second, n % 3)
            for n, user in enumerate(users)
            for mode in (("reality", "cyber") if n % 3 == 0 else ("reality",))
        ],
    )
    await conn.execute("update app.users set deleted_at = now() where id = $1", users[1])
    expected = {
        (r["mode"], r["user_id"]): (r["rank"], r["xp"])
        for r in await conn.fetch(
            "select mode, user_id, rank, xp from seasons.board_ranks where season_id = $1", season
        )
    }
    assert await conn.fetchval("select leagues.close_batch($1, 1)", season) == 0  # 30 standings lines
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval(
                "select xp.award_fixed($1, 'reality', 5, 'bot', 'late-in-close', $2)", users[0], last_second
            )
    assert raised.value.sqlstate == "XP422"
    steps = 1
    while await conn.fetchval("select leagues.close_batch($1, 1)", season) is not None:
        steps += 1
    assert steps > 8
    got = {
        (r["mode"], r["user_id"]): (r["rank"], r["xp"])
        for r in await conn.fetch(
            "select mode, user_id, rank, xp from seasons.final_standings where season_id = $1", season
        )
    }
    assert got == expected and len(got) > 60
    notes = await conn.fetch(
        "select user_id, data->>'mode' as mode, (data->>'rank')::bigint as rank from notify.outbox"
        " where kind = 'season_final_standing' and data->>'season_id' = $1",
        season,
    )
    live = {key: value for key, value in expected.items() if key[1] != users[1]}
    assert sorted((n["mode"], n["user_id"], n["rank"]) for n in notes) == sorted(
        (k[0], k[1], v[0]) for k, v in live.items()
    )
    assert await conn.fetchval("select seasons.close($1)", season) == len(expected)
    assert await conn.fetchval(
        "select count(*) from notify.outbox where kind = 'season_final_standing' and data->>'season_id' = $1", season
    ) == len(notes)
    assert (await conn.fetchval("select status from xp.seasons where id = $1", season)) == "closed"
