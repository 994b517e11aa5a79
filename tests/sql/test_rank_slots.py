"""Rank snapshot slots (xp.rebuild_board): boards take turns between two of four fixed tables,
earlier seasons give theirs up, concurrent rebuilds never share one, and a transaction still
reading a spare makes the rebuild fail instead of blocking anyone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import pytest


async def _score(conn, season: str, mode: str, user: uuid.UUID, xp: int) -> None:
    await conn.execute(
        "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, $2, $3, $4, now())",
        season,
        mode,
        user,
        xp,
    )


async def _users(conn, n: int) -> list[uuid.UUID]:
    return [
        r[0]
        for r in await conn.fetch(
            "insert into app.users (username) select 'sl' || substr(md5(random()::text), 1, 12)"
            " from generate_series(1, $1) returning id",
            n,
        )
    ]


async def _slots(conn) -> dict[tuple[str, str], tuple[int, int | None]]:
    return {
        (r["season_id"], r["mode"]): (r["slot"], r["spare_slot"])
        for r in await conn.fetch("select season_id, mode, slot, spare_slot from xp.rank_generations")
    }


async def _brute_rank(conn, season: str, mode: str, user: uuid.UUID) -> int:
    return await conn.fetchval(
        "select rank from (select user_id, rank() over (order by xp desc, reached_at, user_id) as rank"
        " from xp.season_scores where season_id = $1 and mode = $2 and xp > 0) r where user_id = $3",
        season,
        mode,
        user,
    )


async def _no_boards(conn) -> None:
    """Start from no board at all. The worker database is shared by every test file the worker
    runs; tests and jobs elsewhere commit boards of the current season, and once those hold
    all four slots the past season here finds none to take (XP409). Undone with the test's
    transaction."""
    await conn.execute("delete from xp.rank_generations")


async def test_boards_take_turns_and_earlier_seasons_give_their_slots_up(conn) -> None:
    await _no_boards(conn)
    current = await conn.fetchval("select (xp.season_for(now())).id")
    past = await conn.fetchval("select (xp.season_for('2020-01-15')).id")
    users = await _users(conn, 6)
    for n, user in enumerate(users):
        for mode in ("reality", "cyber"):
            await _score(conn, past, mode, user, 10 * (n + 1))
            await _score(conn, current, mode, user, 7 * (6 - n))
    for mode in ("reality", "cyber"):
        await conn.fetchval("select xp.rebuild_board($1, $2)", past, mode)
    past_slots = await _slots(conn)
    assert {past_slots[(past, "reality")][0], past_slots[(past, "cyber")][0]} == {1, 2}

    for _ in range(3):
        for mode in ("reality", "cyber"):
            await conn.fetchval("select xp.rebuild_board($1, $2)", current, mode)
    slots = await _slots(conn)
    # the current boards hold all four slots, two each, and the past season gave its up
    assert set(slots) == {(current, "reality"), (current, "cyber")}
    held = [s for pair in slots.values() for s in pair]
    assert sorted(held) == [1, 2, 3, 4]
    # a third rebuild flips back: readers' slot and spare swap
    before = slots[(current, "reality")]
    await conn.fetchval("select xp.rebuild_board($1, 'reality')", current)
    assert (await _slots(conn))[(current, "reality")] == (before[1], before[0])

    # both seasons still answer exact ranks: the current from its snapshot, the past live
    for user in users:
        for season in (current, past):
            standing = await conn.fetchval("select xp.season_standing($1, 'cyber', $2)", season, user)
            assert standing["rank"] == await _brute_rank(conn, season, "cyber", user)
        around = await conn.fetchval("select seasons.around($1, 'reality', $2, 1)", current, user)
        assert around["rank"] == await _brute_rank(conn, current, "reality", user)
        for entry in around["entries"]:  # names and levels come from the snapshot lines
            name, level = await conn.fetchrow(
                "select u.username, coalesce(t.reality_level, 1) from app.users u"
                " left join xp.totals t on t.user_id = u.id where u.id = $1",
                uuid.UUID(entry["user"]["id"]),
            )
            assert (entry["user"]["username"], entry["level"]) == (name, level)

    # an earlier season cannot take a slot from a later one
    with pytest.raises(asyncpg.PostgresError) as error:
        await conn.fetchval("select xp.rebuild_board($1, 'reality')", past)
    assert error.value.sqlstate == "XP409"


async def test_concurrent_rebuilds_of_both_boards_never_share_a_slot(database_url) -> None:
    setup = await asyncpg.connect(database_url)
    try:
        season = await setup.fetchval("select (xp.season_for(now())).id")
        for user in await _users(setup, 20):
            for mode in ("reality", "cyber"):
                await setup.fetchval("select xp.award_fixed($1, $2, 5, 'bot', $3)", user, mode, f"slot-{mode}-{user}")

        async def rebuild(mode: str) -> None:
            conn = await asyncpg.connect(database_url)
            try:
                for _ in range(6):
                    await conn.fetchval("select xp.rebuild_board($1, $2)", season, mode)
            finally:
                await conn.close()

        await asyncio.gather(rebuild("reality"), rebuild("cyber"))
        slots = await _slots(setup)
        held = [s for key, pair in slots.items() if key[0] == season for s in pair if s is not None]
        assert len(held) == len(set(held)) == 4
    finally:
        await setup.close()


async def test_an_open_reader_of_the_spare_fails_the_rebuild_and_blocks_no_reader(database_url) -> None:
    writer, lingering, other = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        season = await writer.fetchval("select (xp.season_for(now())).id")
        user = (await _users(writer, 1))[0]
        await writer.fetchval("select xp.award_fixed($1, 'cyber', 9, 'bot', $2)", user, f"linger-{user}")
        await writer.fetchval("select xp.rebuild_board($1, 'cyber')", season)
        # a transaction reads the board, then stays open across the next flip
        read = lingering.transaction()
        await read.start()
        await lingering.fetchval("select xp.season_standing($1, 'cyber', $2)", season, user)
        await writer.fetchval("select xp.rebuild_board($1, 'cyber')", season)  # builds into another slot
        expected = await other.fetchval("select xp.season_standing($1, 'cyber', $2)", season, user)

        blocked = asyncio.ensure_future(writer.fetchval("select xp.rebuild_board($1, 'cyber')", season))
        await asyncio.sleep(0.5)
        assert not blocked.done()  # waiting for the lingering reader's slot
        seen = await other.fetchval("select xp.season_standing($1, 'cyber', $2)", season, user, timeout=2)
        assert seen == expected
        with pytest.raises(asyncpg.PostgresError) as error:
            await blocked
        assert error.value.sqlstate == "55P03" and "open transaction" in str(error.value)
        await read.rollback()
        await writer.fetchval("select xp.rebuild_board($1, 'cyber')", season)  # and then it goes through
    finally:
        for conn in (writer, lingering, other):
            await conn.close()


async def _copies(conn) -> dict[tuple[str, str], tuple[int, int | None, int]]:
    return {
        (r["season_id"], r["mode"]): (r["slot"], r["spare_slot"], r["generation"])
        for r in await conn.fetch(
            "select season_id, mode, slot, spare_slot, generation from xp.replica_rank_generations"
        )
    }


async def test_replica_copies_take_turns_in_slots_5_to_8_and_copy_the_snapshot_as_it_is(conn) -> None:
    """xp.publish_replica_board: the logged copies for the replicas follow the rebuild's scheme
    in their own four slots, copy the current generation line for line, and skip a copy that is
    not due. (Reading them on a standby: tests/replicas/test_replica_ranks.py.)"""
    await _no_boards(conn)
    await conn.execute("delete from xp.replica_rank_generations")
    current = await conn.fetchval("select (xp.season_for(now())).id")
    past = await conn.fetchval("select (xp.season_for('2020-01-15')).id")
    users = await _users(conn, 5)
    for n, user in enumerate(users):
        for season in (past, current):
            for mode in ("reality", "cyber"):
                await _score(conn, season, mode, user, 10 * (n + 1))

    async def board_rows(season: str, mode: str) -> int:
        rows: int = await conn.fetchval(
            "select rows from xp.rank_generations where season_id = $1 and mode = $2", season, mode
        )
        return rows

    async def publish(season: str, mode: str, every: timedelta = timedelta(0)) -> int | None:
        rows: int | None = await conn.fetchval(
            "select xp.publish_replica_board($1, $2, $3, interval '1 minute')", season, mode, every
        )
        return rows

    # no snapshot yet: nothing to copy
    assert await publish(current, "reality") is None
    for mode in ("reality", "cyber"):
        await conn.fetchval("select xp.rebuild_board($1, $2)", past, mode)
        assert await publish(past, mode) == await board_rows(past, mode)
    for _ in range(2):
        for mode in ("reality", "cyber"):
            await conn.fetchval("select xp.rebuild_board($1, $2)", current, mode)
            assert await publish(current, mode) == await board_rows(current, mode)
    copies = await _copies(conn)
    # the current boards hold all four replica slots, two each; the past season gave its up
    assert set(copies) == {(current, "reality"), (current, "cyber")}
    assert sorted(s for slot, spare, _ in copies.values() for s in (slot, spare)) == [5, 6, 7, 8]
    # the copy is the board's current generation, line for line
    source = await conn.fetchrow(
        "select slot, generation from xp.rank_generations where season_id = $1 and mode = 'reality'", current
    )
    slot, spare, generation = copies[(current, "reality")]
    assert generation == source["generation"]
    lines = "select rank, neg_xp, reached_at, user_id, xp, username, display_name, avatar_url, level from xp.rank_slot_{} order by rank"
    assert await conn.fetch(lines.format(slot)) == await conn.fetch(lines.format(source["slot"]))
    assert (
        await conn.fetchval(
            "select relpersistence::text from pg_class where oid = $1::regclass", f"xp.rank_slot_{slot}"
        )
        == "p"
    )
    # not due: the same generation, or the last copy younger than p_every
    assert await publish(current, "reality") is None
    await conn.fetchval("select xp.rebuild_board($1, 'reality')", current)
    assert await publish(current, "reality", timedelta(hours=1)) is None
    # due: it flips, the readers' slot and the spare swap
    assert await publish(current, "reality") == await board_rows(current, "reality")
    assert (await _copies(conn))[(current, "reality")][:2] == (spare, slot)
    # the past season's boards gave their unlogged slots up too: nothing of theirs to copy
    assert await publish(past, "reality") is None
