"""Alembic environment: online, asyncpg, one transaction per revision, then db/functions.

Driven by advanced-alchemy's `xpcore database ...` group (which hands us `config.engine`) or by
`src.migrations`/tests (which pass a URL in `config.attributes["url"]`). After an upgrade the
db/functions files and db/after_migrate.sql are applied (src/migrations.sync_functions).
"""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

config = context.config
VERSION_TABLE = getattr(config, "version_table_name", None) or "alembic_versions"


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table=VERSION_TABLE,
        transactional_ddl=True,
        # One transaction per revision: a failing revision leaves the previous ones applied.
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    url = config.attributes.get("url")
    engine: AsyncEngine | None = None if url else getattr(config, "engine", None)
    owned = engine is None
    if engine is None:
        from src.settings import sqlalchemy_url

        engine = create_async_engine(
            sqlalchemy_url(url or config.get_main_option("sqlalchemy.url")), poolclass=pool.NullPool
        )
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
        if _is_upgrade():
            from src.migrations import sync_functions

            raw = await connection.get_raw_connection()
            await sync_functions(raw.driver_connection)
    if owned:
        await engine.dispose()


def _is_upgrade() -> bool:
    """Only `upgrade` applies db/functions; `current`, `history`, `downgrade` leave them alone."""
    fn = context.get_context().opts.get("fn")
    return getattr(fn, "__name__", "") == "upgrade"


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: revisions run SQL through the driver")
asyncio.run(run_migrations_online())
