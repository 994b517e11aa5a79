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


async def test_the_outbox_rules_hold_as_domains(conn: asyncpg.Connection) -> None:
    """0031 moved the outbox's CHECKs to domains (compiled once per connection, not re-read at
    every insert); the same values are refused, with the same error."""
    user = await _user(conn, "outbox_e")
    for title, body in (("", "b"), ("t" * 201, "b"), ("t", "b" * 2001)):
        with pytest.raises(asyncpg.CheckViolationError):
            async with conn.transaction():
                await conn.fetchval("select notify.enqueue($1, 'broadcast', $2, $3)", user, title, body)
    assert await conn.fetchval("select notify.enqueue($1, 'broadcast', $2, $3)", user, "t" * 200, "b" * 2000)


HOT_TABLES = ("notify.outbox", "store.coin_ledger", "store.wallets")


async def test_the_tables_an_award_writes_per_unlock_carry_no_table_check(conn: asyncpg.Connection) -> None:
    """An unlock, a quest reward or a level-up writes these tables one statement per row inside
    the award; a table CHECK is parsed again at every such statement (10% of the backend's CPU
    in perf), a domain's is not. A rule added here belongs in a domain (0031)."""
    checks = await conn.fetch(
        "select conrelid::regclass::text as tbl, conname from pg_constraint"
        " where contype = 'c' and conrelid::regclass::text = any($1::text[])",
        list(HOT_TABLES),
    )
    assert [(r["tbl"], r["conname"]) for r in checks] == []
    domains = await conn.fetch(
        "select t.typnamespace::regnamespace::text || '.' || t.typname as domain, count(c.oid) as rules"
        " from pg_type t left join pg_constraint c on c.contypid = t.oid"
        " where t.typtype = 'd' and t.typnamespace::regnamespace::text in ('notify', 'store')"
        " group by 1 order by 1"
    )
    assert {r["domain"]: r["rules"] for r in domains} == {
        "notify.outbox_body": 1,
        "notify.outbox_kind": 1,
        "notify.outbox_title": 1,
        "store.coin_amount": 1,
        "store.coin_count": 1,
        "store.coin_source": 1,
    }
