"""The db functions about users the API calls (schema `app`): one typed function each."""

from __future__ import annotations

import uuid
from typing import Any

from src.db import Database, Document


async def user_me(db: Database, user_id: uuid.UUID) -> Document | None:
    """The user as they see themselves (`auth.user_json`); None once deleted."""
    user: Document | None = await db.fetchval("select app.user_me($1)", user_id)
    return user


async def user_update(db: Database, user_id: uuid.UUID, changes: dict[str, Any]) -> Document | None:
    user: Document | None = await db.fetchval("select app.user_update($1, $2)", user_id, changes)
    return user


async def user_delete(db: Database, user_id: uuid.UUID) -> None:
    await db.fetchval("select app.user_delete($1)", user_id)


async def user_public(db: Database, username: str) -> Document | None:
    user: Document | None = await db.fetchval("select app.user_public($1)", username)
    return user


async def user_lookup(db: Database, user_id: uuid.UUID | None, discord_id: str | None) -> Document | None:
    user: Document | None = await db.fetchval("select app.user_lookup($1, $2)", user_id, discord_id)
    return user


async def user_grant_role(db: Database, email: str, role: str) -> Document:
    """Give the user of `email` a role, creating the user if new (`xpcore users create-admin`)."""
    user: Document = await db.fetchval("select app.user_grant_role($1, $2)", email, role)
    return user
