"""The db functions of schema `seasons` the API calls: one typed function each. Board pages
are PostgreSQL's JSON text, sent as it is (the hot paths)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from src.db import Database, Document


async def seasons_list(db: Database) -> list[Document]:
    rows: list[Document] = await db.fetchval("select seasons.list()")
    return rows


async def season(db: Database, season_id: str) -> Document:
    row: Document = await db.fetchval("select seasons.season_json(seasons.resolve($1))", season_id)
    return row


async def leaderboard(db: Database, season_id: str, mode: str, cursor: str | None, limit: int) -> str | None:
    text: str | None = await db.fetchval(
        "select seasons.leaderboard($1, $2, $3, $4)::text", season_id, mode, cursor, limit
    )
    return text


async def around(db: Database, season_id: str, mode: str, user_id: uuid.UUID, around: int) -> str | None:
    text: str | None = await db.fetchval(
        "select seasons.around($1, $2, $3, $4)::text", season_id, mode, user_id, around
    )
    return text


async def arounds(db: Database, items: Sequence[tuple[str, str, uuid.UUID, int]]) -> list[str | None]:
    """`around` for many callers in one call (src/read_batcher.py), in the order asked."""
    seasons, modes, users, sizes = zip(*items, strict=True)
    texts: list[str | None] = await db.fetchval(
        "select seasons.arounds($1, $2, $3, $4)", list(seasons), list(modes), list(users), list(sizes)
    )
    return texts


async def all_time(db: Database, cursor: str | None, limit: int) -> str | None:
    text: str | None = await db.fetchval("select seasons.all_time($1, $2)::text", cursor, limit)
    return text


async def current_season_id(db: Database) -> str:
    """This month's season id (UTC), as the board jobs name it."""
    season_id: str = await db.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
    return season_id


async def rebuild_board(db: Database, season_id: str, mode: str) -> int:
    return int(await db.fetchval("select xp.rebuild_board($1, $2)", season_id, mode))


async def publish_replica_board(
    db: Database, season_id: str, mode: str, every_s: float, stale_after_s: float
) -> int | None:
    rows: int | None = await db.fetchval(
        "select xp.publish_replica_board($1, $2, make_interval(secs => $3), make_interval(secs => $4))",
        season_id,
        mode,
        every_s,
        stale_after_s,
    )
    return rows


async def roll(db: Database) -> int:
    return int(await db.fetchval("select seasons.roll()"))
