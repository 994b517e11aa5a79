"""One board order: every path that ranks or walks a board agrees with seasons.board_ranks, the
one place the order (xp desc, reached_at, user_id) is written as a ranking. The paths bound to
an index order mirror it: keyset pages (seasons.leaderboard, seasons.all_time), the snapshot
walk (xp.rebuild_board, xp.rank_walk through seasons.around), the live count
(xp.season_standing) and the analytics views. Generated boards are full of ties on XP and on
reached_at, so only the whole order separates their lines."""

from __future__ import annotations

import random
import uuid

import pytest

MODES = ("reality", "cyber")


async def _tied_board(conn, seed: int, n: int = 40) -> str:
    """A season of its own (far ahead, so no other test's lines) with n users on both boards."""
    rng = random.Random(seed)
    season = await conn.fetchval("select (xp.season_for(now() + make_interval(years => 10 + $1))).id", seed)
    users = [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'bo' || substr(md5(random()::text), 1, 12)"
            " from generate_series(1, $1) returning id",
            n,
        )
    ]
    moments = await conn.fetchval("select array[now() - interval '1 day', now() - interval '1 day', now()]")
    for user in users:
        xp = {mode: rng.choice([0, 5, 10, 10, 10, 25]) for mode in MODES}
        for mode in MODES:
            await conn.execute(
                "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, $2, $3, $4, $5)",
                season,
                mode,
                user,
                xp[mode],
                rng.choice(moments),
            )
        await conn.execute(
            "insert into xp.totals (user_id, total_xp, reality_xp, cyber_xp, reached_at) values ($1, $2, $3, $4, $5)",
            user,
            xp["reality"] + xp["cyber"],
            xp["reality"],
            xp["cyber"],
            rng.choice(moments),
        )
    return season  # type: ignore[no-any-return]


async def _home(conn, season: str | None, mode: str | None) -> list[tuple[str, int]]:
    rows = await conn.fetch(
        "select user_id, rank from seasons.board_ranks"
        " where season_id is not distinct from $1 and mode is not distinct from $2 order by rank",
        season,
        mode,
    )
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))  # a total order: no ties
    return [(str(r["user_id"]), r["rank"]) for r in rows]


async def _pages(conn, sql: str, *args) -> list[tuple[str, int]]:
    seen, cursor = [], None
    while True:
        page = await conn.fetchval(sql, *args, cursor)
        seen += [(e["user"]["id"], e["rank"]) for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("seed", [1, 2])
async def test_every_season_board_path_agrees_with_the_home_order(conn, seed: int) -> None:
    season = await _tied_board(conn, seed)
    for mode in MODES:
        home = await _home(conn, season, mode)
        assert len({r for _, r in home}) == len(home) > 20
        brute = await conn.fetch(
            "select user_id, rank() over (order by xp desc, reached_at, user_id) as rank"
            " from xp.season_scores where season_id = $1 and mode = $2 and xp > 0 order by rank",
            season,
            mode,
        )
        assert home == [(str(r["user_id"]), r["rank"]) for r in brute]
        analytics = await conn.fetch(
            "select user_id, rank from analytics.season_leaderboard where season_id = $1 and mode = $2 order by rank",
            season,
            mode,
        )
        assert home == [(str(r["user_id"]), r["rank"]) for r in analytics]
        for size in (1, 4, 100):
            pages = await _pages(conn, f"select seasons.leaderboard($1, $2, $3, {size})", season, mode)
            assert pages == home, size

        # the live count, before any snapshot of this board
        rank_of = dict(home)
        for user, rank in home:
            standing = await conn.fetchval("select xp.season_standing($1, $2, $3)", season, mode, uuid.UUID(user))
            assert standing["rank"] == rank

        # the snapshot, and the walks around every line of it
        await conn.fetchval("select xp.rebuild_board($1, $2)", season, mode)
        slot = await conn.fetchval(
            "select slot from xp.rank_generations where season_id = $1 and mode = $2", season, mode
        )
        snapshot = await conn.fetch(f"select user_id, rank from xp.rank_slot_{slot} order by rank")
        assert [(str(r["user_id"]), r["rank"]) for r in snapshot] == home
        for user, rank in home:
            around = await conn.fetchval("select seasons.around($1, $2, $3, 3)", season, mode, uuid.UUID(user))
            assert around["rank"] == rank
            assert [(e["user"]["id"], e["rank"]) for e in around["entries"]] == home[max(rank - 4, 0) : rank + 3]
            alone = await conn.fetchval("select xp.season_standing($1, $2, $3)", season, mode, uuid.UUID(user))
            assert alone["rank"] == rank_of[user]


async def test_the_all_time_board_agrees_with_the_home_order(conn) -> None:
    await _tied_board(conn, 3)
    home = await _home(conn, None, None)
    assert await _pages(conn, "select seasons.all_time($1, 7)") == home
    analytics = await conn.fetch("select user_id, rank from analytics.all_time_leaderboard order by rank")
    assert [(str(r["user_id"]), r["rank"]) for r in analytics] == home


async def test_a_closed_season_freezes_the_home_order(conn) -> None:
    season = await _tied_board(conn, 4)
    home = {mode: await _home(conn, season, mode) for mode in MODES}
    # the season ends: move it into the past with its lines
    past = await conn.fetchval("select (xp.season_for(now() - interval '20 years')).id")
    await conn.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", past)
    await conn.execute("update xp.season_scores set season_id = $2 where season_id = $1", season, past)
    await conn.fetchval("select seasons.close($1)", past)
    for mode in MODES:
        final = await conn.fetch(
            "select user_id, rank from seasons.final_standings where season_id = $1 and mode = $2 order by rank",
            past,
            mode,
        )
        assert [(str(r["user_id"]), r["rank"]) for r in final] == home[mode]
