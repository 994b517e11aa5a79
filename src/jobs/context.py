"""Worker context: each worker process owns one Database pool, made at startup."""

from __future__ import annotations

from typing import Any

from src.db import Database
from src.settings import get_settings


async def startup(ctx: Any) -> None:
    from src.jobs.wakeup import listen

    settings = get_settings()
    ctx["db"] = Database(settings)
    worker = ctx.get("worker")
    if worker is not None:
        ctx["listener"] = await listen(ctx["db"].dsn, worker.queue)


async def shutdown(ctx: Any) -> None:
    listener = ctx.get("listener")
    if listener is not None:
        await listener.close()
    db = ctx.get("db")
    if db is not None:
        await db.close()


def database(ctx: Any) -> Database:
    db = ctx.get("db")
    if db is None:  # a job run outside a worker (tests call jobs directly)
        db = ctx["db"] = Database(get_settings())
    return db
