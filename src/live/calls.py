"""The db functions the live hub calls: one call per wake-up for every stream of the process."""

from __future__ import annotations

import asyncpg

from src.db import Database


async def high_water(db: Database) -> int:
    return int(await db.fetchval("select notify.live_high_water()"))


async def items(db: Database, ids: list[int], users: list[str], after: int | None) -> list[asyncpg.Record]:
    """(user_id, id, item JSON text) of the named notifications and, with `after`, each
    user's notifications after it."""
    return await db.fetch("select user_id, id, item from notify.live_items($1, $2, $3)", ids, users, after)


async def ranks(db: Database, season_id: str, mode: str, users: list[str]) -> list[asyncpg.Record]:
    """(user_id, rank, xp, generation, generated_at) of every given user with XP on the board."""
    return await db.fetch(
        "select user_id, rank, xp, generation, generated_at from seasons.live_ranks($1, $2, $3)",
        season_id,
        mode,
        users,
    )


async def board_top(db: Database, season_id: str, mode: str, limit: int) -> str | None:
    text: str | None = await db.fetchval("select seasons.leaderboard($1, $2, null, $3)::text", season_id, mode, limit)
    return text
