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
