"""The db functions of schema `xp` the API calls: one typed function each. The award itself
goes through `xp.award_events`, many at once (`src/xp/batcher.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from src.db import Database, Document


async def award_events(db: Database, *columns: list[Any]) -> list[asyncpg.Record]:
    """Many awards in one call, one array per argument of `xp.award_event`; metadata travels
    as JSON text. A row per award: `(item, error_code, replayed, body, error_detail)`."""
    return await db.fetch(
        "select item, error_code, replayed, body, error_detail"
        " from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8, $9)",
        *columns,
    )


async def adjust(
    db: Database,
    admin_id: uuid.UUID | None,
    user_id: uuid.UUID,
    xp: int,
    reason: str,
    idempotency_key: str,
    mode: str | None,
) -> Document:
    """A compensating event: the XPAward document, `replayed` for a key used before."""
    award: Document = await db.fetchval(
        "select xp.adjust($1, $2, $3, $4, $5, $6)", admin_id, user_id, xp, reason, idempotency_key, mode
    )
    return award


async def profile(db: Database, user_id: uuid.UUID) -> str | None:
    """The Profile document, as PostgreSQL's JSON text."""
    text: str | None = await db.fetchval("select xp.profile($1)::text", user_id)
    return text


async def profiles(db: Database, items: Sequence[tuple[uuid.UUID]]) -> list[str | None]:
    """`profile` for many callers in one call (src/read_batcher.py), in the order asked."""
    texts: list[str | None] = await db.fetchval("select xp.profiles($1)", [user_id for (user_id,) in items])
    return texts


async def events_page(db: Database, user_id: uuid.UUID, cursor: int | None, limit: int) -> Document:
    page: Document = await db.fetchval("select xp.events_page($1, $2, $3)", user_id, cursor, limit)
    return page


async def activities(db: Database) -> list[Document]:
    rows: list[Document] = await db.fetchval("select xp.activities()")
    return rows


async def levels(db: Database) -> list[Document]:
    rows: list[Document] = await db.fetchval("select xp.levels()")
    return rows


async def layers(db: Database) -> list[Document]:
    rows: list[Document] = await db.fetchval("select xp.layers()")
    return rows


async def activity_create(db: Database, activity: dict[str, Any]) -> Document:
    row: Document = await db.fetchval("select xp.activity_create($1)", activity)
    return row


async def activity_update(db: Database, key: str, changes: dict[str, Any]) -> Document:
    row: Document = await db.fetchval("select xp.activity_update($1, $2)", key, changes)
    return row
