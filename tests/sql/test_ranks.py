"""Season ranks from snapshots: exact against a brute-force rank() at snapshot time."""

from __future__ import annotations

import random
import uuid

import pytest


async def _users(conn, n: int) -> list[uuid.UUID]:
    return [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'r' || substr(md5(random()::text), 1, 12) from generate_series(1, $1)"
            " returning id",
            n,
        )
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_snapshot_ranks_are_exact_including_ties(conn, seed: int) -> None:
    rng = random.Random(seed)
    season = await conn.fetchval("select (xp.season_for(now())).id")
    users = await _users(conn, 60)
    for n, user in enumerate(users):
        if n % 7 == 0:
            continue  # no XP this season: rank null
        amount = rng.choice([10, 20, 20, 30, 50])  # plenty of ties
        await conn.fetchval(
            "select xp.award_fixed($1, $2, $3, 'bot', $4)",
            user,
            rng.choice(["reality", "cyber"]),
            amount,
            f"rank-{seed}-{n}",
        )
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    brute = {
        (r["mode"], r["user_id"]): r["rank"]
        for r in await conn.fetch(
            "select mode, user_id, rank() over (partition by mode order by xp desc, reached_at, user_id) as rank"
            " from xp.season_scores where season_id = $1 and xp > 0",
            season,
        )
    }
    for user in users:
        for mode in ("reality", "cyber"):
            standing = await conn.fetchval("select xp.season_standing($1, $2, $3)", season, mode, user)
            assert standing["rank"] == brute.get((mode, user)), (mode, user)
            if (mode, user) not in brute:
                assert standing["rank"] is None and standing["xp"] == 0


async def test_a_user_who_moved_since_the_snapshot_is_placed_by_one_probe(conn) -> None:
    season = await conn.fetchval("select (xp.season_for(now())).id")
    a, b, c, newcomer = await _users(conn, 4)
    # Other tests' committed users share this season (a few hundred XP each): amounts far above
    # theirs keep "right behind b" true whatever ran before.
    base = 900_000
    for user, amount in ((a, base + 300), (b, base + 200), (c, base + 100)):
        await conn.fetchval("select xp.award_fixed($1, 'cyber', $2, 'bot', $3)", user, amount, f"mv-{user}")
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    await conn.fetchval("select xp.award_fixed($1, 'cyber', $2, 'bot', 'mv-new')", newcomer, base + 150)
    # count who the snapshot has ahead of the newcomer's XP (ties reached earlier are ahead too)
    slot = await conn.fetchval("select slot from xp.rank_generations where season_id = $1 and mode = 'cyber'", season)
    ahead = await conn.fetchval(f"select count(*) from xp.rank_slot_{slot} where xp >= $1", base + 150)
    standing = await conn.fetchval("select xp.season_standing($1, 'cyber', $2)", season, newcomer)
    assert standing["rank"] == ahead + 1 and standing["generated_at"] is not None  # right behind b
    rank_b = (await conn.fetchval("select xp.season_standing($1, 'cyber', $2)", season, b))["rank"]
    assert standing["rank"] == rank_b + 1
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    rank_c = (await conn.fetchval("select xp.season_standing($1, 'cyber', $2)", season, c))["rank"]
    assert rank_c > (await conn.fetchval("select xp.season_standing($1, 'cyber', $2)", season, newcomer))["rank"]


async def test_readers_keep_the_old_snapshot_while_a_rebuild_runs(database_url) -> None:
    import asyncpg

    writer, reader = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        season = await writer.fetchval("select (xp.season_for(now())).id")
        user = await writer.fetchval(
            "insert into app.users (username) values ($1) returning id", f"rb{uuid.uuid4().hex[:10]}"
        )
        await writer.fetchval("select xp.award_fixed($1, 'reality', 5, 'bot', $2)", user, f"rb-{user}")
        await writer.fetchval("select xp.rebuild_ranks($1)", season)
        before = await reader.fetchval("select xp.season_standing($1, 'reality', $2)", season, user)
        async with writer.transaction():
            await writer.fetchval("select xp.rebuild_ranks($1)", season)  # uncommitted rebuild
            during = await asyncpg.connect(database_url)
            try:
                # not blocked, and still the committed generation
                seen = await during.fetchval("select xp.season_standing($1, 'reality', $2)", season, user, timeout=2)
            finally:
                await during.close()
        assert seen == before
    finally:
        await writer.close()
        await reader.close()
