"""The db functions of schema `leagues` the API calls: one typed function each."""

from __future__ import annotations

import uuid

from src.db import Database


async def tiers(db: Database, mode: str) -> str | None:
    text: str | None = await db.fetchval("select leagues.tiers($1)::text", mode)
    return text


async def me(db: Database, mode: str, user_id: uuid.UUID) -> str | None:
    text: str | None = await db.fetchval("select leagues.me($1, $2)::text", mode, user_id)
    return text


async def close_batch(db: Database, season_id: str, cohorts: int) -> int | None:
    """One batch of a season's league close, its own transaction; None once the close is done."""
    rows: int | None = await db.fetchval("select leagues.close_batch($1, $2)", season_id, cohorts)
    return rows


async def modes_decided(db: Database, season_id: str) -> int:
    """How many modes of the season have their close recorded (tiers decided)."""
    return int(await db.fetchval("select count(*) from leagues.closes where season_id = $1", season_id))


async def seat_pending(db: Database, limit: int) -> int:
    """Seat up to `limit` first joins that waited for their previous season's close."""
    return int(await db.fetchval("select leagues.seat_pending($1)", limit))


async def closes_due(db: Database) -> list[str]:
    """Ended seasons not closed yet, oldest first (the ones seasons.roll is about to close)."""
    rows = await db.fetch("select leagues.closes_due() as id")
    return [r["id"] for r in rows]
