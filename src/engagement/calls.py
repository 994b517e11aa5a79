"""The db functions of schema `engage` the API calls: one typed function each. Read answers are
PostgreSQL's JSON text, sent as it is."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from src.db import Database, Document


async def for_user(db: Database, user_id: uuid.UUID) -> str | None:
    text: str | None = await db.fetchval("select engage.for_user($1)::text", user_id)
    return text


async def public_for(db: Database, username: str) -> str | None:
    text: str | None = await db.fetchval("select engage.public_for($1)::text", username)
    return text


async def admin_list(db: Database) -> str | None:
    text: str | None = await db.fetchval("select engage.admin_list()::text")
    return text


async def upsert(db: Database, achievement: dict[str, Any]) -> Document:
    saved: Document = await db.fetchval("select engage.upsert($1)", achievement)
    return saved


async def deactivate(db: Database, key: str) -> bool:
    """Retire an achievement; false when there is none by that key."""
    return await db.fetchval("select engage.deactivate($1)", key) is not None


async def streaks_for(db: Database, user_id: uuid.UUID) -> str | None:
    text: str | None = await db.fetchval("select engage.streaks_for($1)::text", user_id)
    return text


async def streak_check_in(db: Database, user_id: uuid.UUID, mode: str) -> str | None:
    text: str | None = await db.fetchval("select engage.streak_check_in($1, $2)::text", user_id, mode)
    return text


# Quests.


async def quests_for(db: Database, user_id: uuid.UUID) -> str | None:
    """The caller's current quests, assigning the period's on its first read."""
    text: str | None = await db.fetchval("select engage.quests_for($1)::text", user_id)
    return text


async def quest_admin_list(db: Database) -> str | None:
    text: str | None = await db.fetchval("select engage.quest_admin_list()::text")
    return text


async def quest_upsert(db: Database, quest: dict[str, Any]) -> Document:
    saved: Document = await db.fetchval("select engage.quest_upsert($1)", quest)
    return saved


async def quest_deactivate(db: Database, key: str) -> bool:
    """Retire a quest; false when there is none by that key."""
    return await db.fetchval("select engage.quest_deactivate($1)", key) is not None


# Worker only (src/engagement/jobs.py): the owner's connection runs these.


async def backfill_batch(db: Database, key: str, limit: int) -> int:
    done: int = await db.fetchval("select engage.backfill_batch($1, $2)", key, limit)
    return done


async def backfills_pending(db: Database) -> list[str]:
    rows = await db.fetch("select key from engage.backfills_pending() as key")
    return [str(row["key"]) for row in rows]


async def streak_close_due(db: Database) -> list[tuple[str, date]]:
    rows = await db.fetch("select tz, day from engage.streak_close_due()")
    return [(str(row["tz"]), row["day"]) for row in rows]


async def streak_close(db: Database, tz: str, day: date, limit: int) -> int:
    done: int = await db.fetchval("select engage.streak_close($1, $2, $3)", tz, day, limit)
    return done
