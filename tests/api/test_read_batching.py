"""The fast lane's reads go to Postgres together (src/read_batcher.py): concurrent profile and
around-me reads share calls of `xp.profiles` / `seasons.arounds`, and each caller still gets
exactly what its own single call gives, errors included."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from src.db_errors import status_for
from src.read_batcher import ReadBatcher
from src.seasons import calls as seasons_calls
from src.xp import calls as xp_calls
from tests.fixtures.auth import create_user


async def _answer(call: Any, *args: Any) -> tuple[int, str | None]:
    """(status the endpoint maps it to, the JSON text) of one read."""
    try:
        return 200, await call(*args)
    except asyncpg.PostgresError as exc:
        mapped = status_for(exc)
        return (mapped[0] if mapped else 500), None


async def _users_with_xp(db: Any, n: int) -> list[uuid.UUID]:
    users = [uuid.UUID(str((await create_user(db))["id"])) for _ in range(n)]
    for i, user in enumerate(users):
        for activity, units in (("run_km", 1 + i), ("commit", 1 + i % 3)):
            await db.fetchval(
                "select xp.award_event($1, null, $2, $3, $4, null, '{}'::jsonb, null)",
                user,
                activity,
                units,
                f"rb-{user}-{activity}",
            )
    season = await seasons_calls.current_season_id(db)
    for mode in ("reality", "cyber"):
        await db.fetchval("select xp.rebuild_board($1, $2)", season, mode)
    return users


async def test_concurrent_profiles_share_calls_and_each_gets_its_own_answer(db) -> None:
    users = await _users_with_xp(db, 6)
    deleted = uuid.UUID(str((await create_user(db))["id"]))
    await db.execute("update app.users set deleted_at = now() where id = $1", deleted)
    asked = [users[n % 6] for n in range(24)] + [uuid.uuid4(), deleted]
    batcher = ReadBatcher(db, "profile", xp_calls.profiles, xp_calls.profile, max_batch=32, max_inflight=1)

    together = await asyncio.gather(*(_answer(batcher.read, user) for user in asked))
    alone = [await _answer(xp_calls.profile, db, user) for user in asked]

    assert together == alone
    assert [status for status, _ in together] == [200] * 24 + [404, 404]
    # the first read went alone, the other 25 waited for it and went in one call, which the
    # two unknown users failed: its items were then asked one by one
    assert batcher.reads == len(asked) and batcher.calls == 2


async def test_concurrent_arounds_share_calls_and_each_gets_its_own_answer(db) -> None:
    users = await _users_with_xp(db, 5)
    season = await seasons_calls.current_season_id(db)
    asked = [
        (("current", season)[n % 2], ("reality", "cyber")[n % 3 % 2], users[n % 5], (0, 5, 2)[n % 3]) for n in range(20)
    ]
    stranger = uuid.UUID(str((await create_user(db))["id"]))  # no XP: rank null, no entries
    batcher = ReadBatcher(db, "around", seasons_calls.arounds, seasons_calls.around, max_batch=32, max_inflight=1)

    first = [*asked, ("current", "reality", stranger, 5)]
    together = await asyncio.gather(*(_answer(batcher.read, *item) for item in first))
    alone = [await _answer(seasons_calls.around, db, *item) for item in first]
    assert together == alone
    assert all(status == 200 for status, _ in together)
    assert batcher.calls == 2  # one alone, then the other 20 in one call

    # an unknown season fails the batch call; every caller still gets its own answer
    second = [*asked[:6], ("1999-01", "reality", users[0], 5)]
    together = await asyncio.gather(*(_answer(batcher.read, *item) for item in second))
    alone = [await _answer(seasons_calls.around, db, *item) for item in second]
    assert together == alone
    assert [status for status, _ in together] == [200] * 6 + [404]


async def test_a_caller_that_went_away_is_not_read(db) -> None:
    users = await _users_with_xp(db, 3)
    batcher = ReadBatcher(db, "profile", xp_calls.profiles, xp_calls.profile, max_batch=32, max_inflight=1)
    first = asyncio.ensure_future(batcher.read(users[0]))
    gone = asyncio.ensure_future(batcher.read(users[1]))
    last = asyncio.ensure_future(batcher.read(users[2]))
    await asyncio.sleep(0)
    gone.cancel()
    assert (await first) == await xp_calls.profile(db, users[0])
    assert (await last) == await xp_calls.profile(db, users[2])
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert batcher.reads == 2


async def test_a_failed_call_is_every_callers_answer_and_is_not_asked_again_alone(db) -> None:
    """The server cancelling the batch statement (as the statement timeout does) fails that
    call's readers with its error; asking each alone would put the load back on a server that
    could not take it."""
    users = await _users_with_xp(db, 4)
    solo_calls = 0

    async def cancelled(db: Any, items: Any) -> Any:
        return await db.fetchval("select pg_cancel_backend(pg_backend_pid()), pg_sleep(5)")

    async def solo(db: Any, user_id: uuid.UUID) -> str | None:
        nonlocal solo_calls
        solo_calls += 1
        return await xp_calls.profile(db, user_id)

    batcher = ReadBatcher(db, "profile", cancelled, solo, max_batch=32, max_inflight=1)
    answers = await asyncio.gather(*(batcher.read(user) for user in users), return_exceptions=True)
    assert answers[0] == await xp_calls.profile(db, users[0])  # the first went alone
    assert all(isinstance(a, asyncpg.QueryCanceledError) for a in answers[1:]), answers
    assert solo_calls == 1 and batcher.calls == 2


async def test_a_read_on_another_pool_goes_alone_on_it(db) -> None:
    """The Litestar routes read through `read_on(replica, ...)`: on the batcher's own pool (the
    primary) the read is shared; on another pool (a read replica's) it goes alone, on that pool."""
    from src.db import Database
    from src.settings import load_settings

    users = await _users_with_xp(db, 2)
    batcher = ReadBatcher(db, "profile", xp_calls.profiles, xp_calls.profile, max_batch=32, max_inflight=1)
    other = Database(load_settings())
    try:
        assert await batcher.read_on(db, users[0]) == await xp_calls.profile(db, users[0])
        assert batcher.calls == 1
        assert await batcher.read_on(other, users[1]) == await xp_calls.profile(db, users[1])
        assert batcher.calls == 1 and other._pool is not None  # read on the other pool, not batched
    finally:
        await other.close()
