"""What the platform endpoints and the heartbeat job ask the database."""

from __future__ import annotations

from datetime import datetime

from src.db import Database


async def applied_revisions(db: Database) -> str | None:
    """The Alembic revisions this database is at (comma-separated), None before the first."""
    current: str | None = await db.fetchval(
        "select case when to_regclass('public.alembic_versions') is null then null"
        " else (select string_agg(version_num, ',') from public.alembic_versions) end"
    )
    return current


async def beat(db: Database, who: str) -> datetime:
    """Record that `who` (the worker) is alive; when."""
    beat_at: datetime = await db.fetchval("select app.beat($1)", who)
    return beat_at
