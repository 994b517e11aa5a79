"""The BI role reads every analytics view, plain or materialized, and nothing else (a login
granted xpcore_bi): it may not refresh them either."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

VIEWS = [
    "season_leaderboard",
    "all_time_leaderboard",
    "daily_xp",
    "level_distribution",
    "layer_distribution",
    "user_growth",
    "achievement_unlocks",
    "league_populations",
    "league_moves",
    "streak_distribution",
    "quest_completion",
]
MATERIALIZED = ["daily_xp", "level_distribution", "layer_distribution", "user_growth"]


@pytest.fixture
async def bi_conn(database_url):
    admin = await asyncpg.connect(database_url)
    login = f"bi_{uuid.uuid4().hex[:10]}"
    await admin.execute(f"create role {login} login in role xpcore_bi")
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(database_url)
    netloc = parts.netloc.split("@")[-1]
    conn = await asyncpg.connect(urlunsplit((parts.scheme, f"{login}@{netloc}", parts.path, parts.query, "")))
    try:
        yield conn
    finally:
        await conn.close()
        await admin.execute(f"drop role {login}")
        await admin.close()


async def test_bi_reads_every_view(bi_conn) -> None:
    for view in VIEWS:
        await bi_conn.fetch(f"select * from analytics.{view} limit 5")
    listed = {
        r[0]
        for r in await bi_conn.fetch(
            "select relname from pg_class where relnamespace = 'analytics'::regnamespace and relkind in ('v', 'm')"
        )
    }
    assert listed == set(VIEWS)


async def test_bi_reads_when_the_materialized_views_were_refreshed(bi_conn) -> None:
    for view in MATERIALIZED:
        await bi_conn.fetch(f"select refreshed_at from analytics.{view} limit 1")


@pytest.mark.parametrize(
    "sql",
    [
        "select email from app.users limit 1",
        "select * from xp.ledger limit 1",
        "select * from xp.totals limit 1",
        "select * from auth.api_keys limit 1",
        "select * from alembic_versions",
        "insert into analytics.level_distribution (level, users) values (1, 1)",
        "delete from analytics.all_time_leaderboard",
        "select xp.award_fixed(gen_random_uuid(), 'cyber', 5, 'bot', 'x')",
        "create table analytics.mine (x int)",
        "refresh materialized view analytics.daily_xp",
        "refresh materialized view concurrently analytics.user_growth",
        "select analytics.refresh('daily_xp')",
        "insert into analytics.daily_xp (day) values (current_date)",
    ],
)
async def test_bi_cannot_read_private_data_or_write(bi_conn, sql: str) -> None:
    with pytest.raises(asyncpg.PostgresError) as raised:
        await bi_conn.execute(sql)
    # insufficient privilege, or a view that cannot be written at all
    assert raised.value.sqlstate in ("42501", "55000")


async def test_views_hold_no_email(conn) -> None:
    columns = {
        r[0]
        for r in await conn.fetch("select column_name from information_schema.columns where table_schema = 'analytics'")
    }
    assert "email" not in columns
