"""The db functions of schema `challenges` the API calls: one typed function each. Player
views are PostgreSQL's JSON text, sent as it is."""

from __future__ import annotations

import uuid
from typing import Any

from src.db import Database, Document


async def list_for(db: Database, user_id: uuid.UUID) -> str | None:
    text: str | None = await db.fetchval("select challenges.list_for($1)::text", user_id)
    return text


async def get_for(db: Database, user_id: uuid.UUID, slug: str) -> str | None:
    text: str | None = await db.fetchval("select challenges.get_for($1, $2)::text", user_id, slug)
    return text


async def start(db: Database, user_id: uuid.UUID, slug: str) -> None:
    await db.fetchval("select challenges.start($1, $2)", user_id, slug)


async def judge_view(db: Database, slug: str) -> str | None:
    text: str | None = await db.fetchval("select challenges.judge_view($1)::text", slug)
    return text


async def complete(
    db: Database, user_id: uuid.UUID, slug: str, passed: bool, hints_used: int, duration_s: int | None
) -> Document:
    verdict: Document = await db.fetchval(
        "select challenges.complete($1, $2, $3, $4, $5)", user_id, slug, passed, hints_used, duration_s
    )
    return verdict


async def upsert(db: Database, challenge: dict[str, Any]) -> Document:
    saved: Document = await db.fetchval("select challenges.upsert($1)", challenge)
    return saved


async def patch(db: Database, slug: str, changes: dict[str, Any]) -> Document:
    saved: Document = await db.fetchval("select challenges.patch($1, $2)", slug, changes)
    return saved


async def deactivate(db: Database, slug: str) -> bool:
    """Retire a challenge; false when there is none by that slug."""
    return await db.fetchval("select challenges.deactivate($1)", slug) is not None
