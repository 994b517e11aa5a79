"""The outbox core: written in the caller's transaction, deduplicated by (user, kind, key)."""

from __future__ import annotations

import asyncpg
import pytest


async def _user(conn: asyncpg.Connection, name: str) -> object:
    return await conn.fetchval("insert into app.users (username) values ($1) returning id", name)


async def test_enqueue_writes_one_row_and_dedupes(conn: asyncpg.Connection) -> None:
    user = await _user(conn, "outbox_a")
    first = await conn.fetchval(
        "select notify.enqueue($1, 'level_up', 'Level 2', 'You reached level 2', '{\"level\": 2}', 'level:2')", user
    )
    again = await conn.fetchval(
        "select notify.enqueue($1, 'level_up', 'Level 2', 'You reached level 2', '{}', 'level:2')", user
    )
    assert first is not None and again is None
    rows = await conn.fetch("select kind, data from notify.outbox where user_id = $1", user)
    assert [(r["kind"], r["data"]) for r in rows] == [("level_up", {"level": 2})]


async def test_without_a_dedupe_key_every_call_is_a_notification(conn: asyncpg.Connection) -> None:
    user = await _user(conn, "outbox_b")
    for _ in range(2):
        await conn.fetchval("select notify.enqueue($1, 'broadcast', 'Hi', 'Hello all')", user)
    assert await conn.fetchval("select count(*) from notify.outbox where user_id = $1", user) == 2


async def test_unknown_kind_is_refused(conn: asyncpg.Connection) -> None:
    user = await _user(conn, "outbox_c")
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.fetchval("select notify.enqueue($1, 'spam', 't', 'b')", user)


async def test_rolled_back_event_leaves_no_notification(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        user = await conn.fetchval("insert into app.users (username) values ('outbox_d') returning id")
        try:
            async with conn.transaction():
                await conn.fetchval("select notify.enqueue($1, 'level_up', 'L', 'B', '{}', 'k')", user)
                raise RuntimeError("the event failed")
        except RuntimeError:
            pass
        assert await conn.fetchval("select count(*) from notify.outbox where user_id = $1", user) == 0
    finally:
        await conn.execute("delete from app.users where username = 'outbox_d'")
        await conn.close()
