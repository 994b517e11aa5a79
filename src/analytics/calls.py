"""What the analytics refresh job asks the database."""

from __future__ import annotations

from src.db import Database


async def matviews(db: Database) -> list[str]:
    """The analytics schema's materialized views, by name."""
    rows = await db.fetch("select matviewname from pg_catalog.pg_matviews where schemaname = 'analytics' order by 1")
    return [r[0] for r in rows]


async def refresh(db: Database, view: str, timeout_s: int) -> float | None:
    """Refresh one view concurrently in its own transaction: the ms it took, None when another
    session was refreshing it (skipped). A refresh may outlast the pool's statement timeout
    (DATABASE_STATEMENT_TIMEOUT_MS, meant for requests), so it gets its own."""
    pool = await db.pool()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"set local statement_timeout = '{int(timeout_s)}s'")
        ms: float | None = await conn.fetchval("select analytics.refresh($1)", view)
        return ms
