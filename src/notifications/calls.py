"""The db functions of schema `notify` the API and the notification jobs call: one typed
function each."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from src.db import Database, Document


async def device_register(db: Database, user_id: uuid.UUID, token: str, platform: str) -> Document:
    device: Document = await db.fetchval("select notify.device_register($1, $2, $3)", user_id, token, platform)
    return device


async def device_unregister(db: Database, user_id: uuid.UUID, token: str) -> None:
    await db.fetchval("select notify.device_unregister($1, $2)", user_id, token)


async def feed(db: Database, user_id: uuid.UUID, unread: bool, cursor: int | None, limit: int) -> str | None:
    text: str | None = await db.fetchval("select notify.feed($1, $2, $3, $4)::text", user_id, unread, cursor, limit)
    return text


async def mark_read(db: Database, user_id: uuid.UUID, notification_id: int) -> None:
    await db.fetchval("select notify.mark_read($1, $2)", user_id, notification_id)


async def mark_all_read(db: Database, user_id: uuid.UUID) -> None:
    await db.fetchval("select notify.mark_all_read($1)", user_id)


async def broadcast_create(
    db: Database, admin_id: uuid.UUID | None, title: str, body: str, data: dict[str, Any] | None
) -> int:
    broadcast_id: int = await db.fetchval("select notify.broadcast_create($1, $2, $3, $4)", admin_id, title, body, data)
    return broadcast_id


async def broadcast_batch(db: Database, broadcast_id: int, size: int) -> int:
    """Feed items written for the next batch of users; 0 once the broadcast is done."""
    return int(await db.fetchval("select notify.broadcast_batch($1, $2)", broadcast_id, size))


async def broadcasts_pending(db: Database) -> list[int]:
    return [row["id"] for row in await db.fetch("select id from notify.broadcasts_pending()")]


async def fan_out(db: Database, limit: int) -> None:
    await db.fetchval("select notify.fan_out($1)", limit)


async def claim_deliveries(db: Database, limit: int, lease_s: int) -> list[asyncpg.Record]:
    return await db.fetch("select * from notify.claim_deliveries($1, $2)", limit, lease_s)


async def record_deliveries(db: Database, results: list[dict[str, Any]]) -> None:
    await db.fetchval("select notify.record_deliveries($1::jsonb)", results)


async def release_deliveries(db: Database, pushes: list[dict[str, Any]]) -> None:
    await db.fetchval("select notify.release_deliveries($1::jsonb)", pushes)
