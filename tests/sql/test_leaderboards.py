"""Leaderboards in SQL: exact ranks page by page against a brute-force rank(), ties included."""

from __future__ import annotations

import random

import pytest


async def _season_with_scores(conn, seed: int, n: int = 45) -> str:
    rng = random.Random(seed)
    season = await conn.fetchval("select (xp.season_for(now())).id")
    users = [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'lb' || substr(md5(random()::text), 1, 12) from generate_series(1, $1)"
            " returning id",
            n,
        )
    ]
    for i, user in enumerate(users):
        if i % 9 == 0:
            continue
        await conn.fetchval(
            "select xp.award_fixed($1, 'cyber', $2, 'bot', $3)", user, rng.choice([5, 10, 10, 10, 25]), f"lb-{seed}-{i}"
        )
    return season


@pytest.mark.parametrize("page_size", [1, 7, 100])
async def test_pages_walk_the_board_with_exact_ranks(conn, page_size: int) -> None:
    season = await _season_with_scores(conn, page_size)
    brute = [
        (r["user_id"], r["rank"], r["xp"])
        for r in await conn.fetch(
            "select user_id, xp, rank() over (order by xp desc, reached_at, user_id) as rank"
            " from xp.season_scores where season_id = $1 and mode = 'cyber' and xp > 0 order by rank",
            season,
        )
    ]
    seen, cursor = [], None
    while True:
        page = await conn.fetchval("select seasons.leaderboard($1, 'cyber', $2, $3)", season, cursor, page_size)
        seen += [(e["user"]["id"], e["rank"], e["xp"]) for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(str(u), r, x) for u, r, x in brute] == seen


async def test_current_resolves_and_unknown_season_is_404(conn) -> None:
    current = await conn.fetchval("select seasons.leaderboard('current', 'reality', null, 5)")
    assert current["season"]["status"] == "active" and current["mode"] == "reality"
    import asyncpg

    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select seasons.leaderboard('1999-01', 'reality', null, 5)")
    assert raised.value.sqlstate == "XP404"
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select seasons.leaderboard('current', 'reality', 'garbage', 5)")
    assert raised.value.sqlstate == "XP400"


async def test_around_me_comes_from_the_snapshot(conn) -> None:
    season = await _season_with_scores(conn, 11)
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    me = await conn.fetchval(
        "select user_id from xp.season_scores where season_id = $1 and mode = 'cyber' order by xp desc, reached_at, user_id"
        " offset 10 limit 1",
        season,
    )
    answer = await conn.fetchval("select seasons.around($1, 'cyber', $2, 2)", season, me)
    assert answer["rank"] == 11 or answer["rank"] > 11  # other tests' users may share the season
    ranks = [e["rank"] for e in answer["entries"]]
    assert ranks == list(range(answer["rank"] - 2, answer["rank"] + 3))
    assert str(me) in [e["user"]["id"] for e in answer["entries"]]
    nobody = await conn.fetchval(
        "insert into app.users (username) values ('lbnobody' || substr(md5(random()::text), 1, 6)) returning id"
    )
    empty = await conn.fetchval("select seasons.around($1, 'cyber', $2, 2)", season, nobody)
    assert empty["rank"] is None and empty["entries"] == []


async def test_around_me_matches_a_brute_force_board_and_places_a_mover(conn) -> None:
    """Every neighbour's rank against rank() at snapshot time; then a user who gained XP since
    the snapshot is placed right behind the entry now ahead of them, with those behind one lower."""
    season = await _season_with_scores(conn, 23, n=60)
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    board = [
        (str(r["user_id"]), r["rank"], r["xp"])
        for r in await conn.fetch(
            "select user_id, xp, rank() over (order by xp desc, reached_at, user_id) as rank"
            " from xp.season_scores where season_id = $1 and mode = 'cyber' and xp > 0 order by rank",
            season,
        )
    ]
    for index in (0, 1, 7, len(board) // 2, len(board) - 1):
        me, rank, _ = board[index]
        answer = await conn.fetchval("select seasons.around($1, 'cyber', $2, 3)", season, me)
        assert answer["rank"] == rank
        expected = board[max(index - 3, 0) : index + 4]
        assert [(e["user"]["id"], e["rank"], e["xp"]) for e in answer["entries"]] == expected
        alone = await conn.fetchval("select seasons.around($1, 'cyber', $2, 0)", season, me)
        assert alone["rank"] == rank and [(e["user"]["id"], e["rank"]) for e in alone["entries"]] == [(me, rank)]

    # The last user gains enough XP to pass exactly one other user (no snapshot since).
    mover, _, mover_xp = board[-1]
    _, _, passed_xp = next(b for b in reversed(board[:-1]) if b[2] > mover_xp)
    gain = passed_xp - mover_xp + 1
    await conn.fetchval("select xp.award_fixed($1, 'cyber', $2, 'bot', 'mover')", mover, gain)
    # everyone with more XP than mover's new total stays ahead
    ahead = sum(1 for _, _, x in board if x > mover_xp + gain)
    answer = await conn.fetchval("select seasons.around($1, 'cyber', $2, 2)", season, mover)
    assert answer["rank"] == ahead + 1 and answer["xp"] == mover_xp + gain
    entries = [(e["user"]["id"], e["rank"]) for e in answer["entries"]]
    assert entries.count((mover, ahead + 1)) == 1 and sum(1 for u, _ in entries if u == mover) == 1
    ranks = [r for _, r in entries]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)  # no rank shown twice


async def test_all_time_board_is_exact(conn) -> None:
    await _season_with_scores(conn, 5)
    brute = [
        (str(r["user_id"]), r["rank"])
        for r in await conn.fetch(
            "select user_id, rank() over (order by total_xp desc, reached_at, user_id) as rank from xp.totals"
            " where total_xp > 0 order by rank"
        )
    ]
    seen, cursor = [], None
    while True:
        page = await conn.fetchval("select seasons.all_time($1, 13)", cursor)
        seen += [(e["user"]["id"], e["rank"]) for e in page["entries"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == brute


async def test_around_me_in_a_closed_season_reads_its_final_standings(conn) -> None:
    season = await conn.fetchval("select (xp.season_for('2020-03-15')).id")
    # as if it had run then: a season made on demand for a past month is born closed
    await conn.execute("update xp.seasons set status = 'active' where id = $1", season)
    users = [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'cl' || substr(md5(random()::text), 1, 12)"
            " from generate_series(1, 9) returning id"
        )
    ]
    for n, user in enumerate(users):  # ties on XP, told apart by who reached it first
        await conn.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)"
            " values ($1, 'reality', $2, $3, '2020-03-10'::timestamptz + $4 * interval '1 hour')",
            season,
            user,
            100 - 10 * (n // 2),
            n,
        )
    await conn.fetchval("select seasons.close($1)", season)
    brute = [
        r["user_id"]
        for r in await conn.fetch(
            "select user_id from xp.season_scores where season_id = $1 and mode = 'reality' and xp > 0"
            " order by xp desc, reached_at, user_id",
            season,
        )
    ]
    me = brute[4]
    answer = await conn.fetchval("select seasons.around($1, 'reality', $2, 2)", season, me)
    assert answer["rank"] == 5 and answer["season"]["status"] == "closed"
    assert [(e["rank"], e["user"]["id"]) for e in answer["entries"]] == [
        (rank, str(user)) for rank, user in enumerate(brute[2:7], start=3)
    ]
