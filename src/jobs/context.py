"""Worker context: each worker process owns one Database pool, made at startup."""

from __future__ import annotations

from typing import Any

from src.db import Database
from src.settings import get_settings


async def startup(ctx: Any) -> None:
    ctx["db"] = Database(get_settings())


async def shutdown(ctx: Any) -> None:
    db = ctx.get("db")
    if db is not None:
        await db.close()


def database(ctx: Any) -> Database:
    db = ctx.get("db")
    if db is None:  # a job run outside a worker (tests call jobs directly)
        db = ctx["db"] = Database(get_settings())
    return db
