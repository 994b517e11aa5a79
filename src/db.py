"""The asyncpg pool the API and the workers send their SQL through.

Created lazily with `min_size=0`, so the process starts (and `/ready` can say why it is not
ready) while Postgres is down, and reconnects by itself after a Postgres restart: asyncpg
discards a broken connection and opens a new one on the next acquire.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from litestar import MediaType, Response
from litestar.datastructures import State

from src.settings import Settings, SettingsError, normalize_database_url

# A JSON document a db function built (jsonb, decoded): its shape is an answer Struct.
Document = dict[str, Any]


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Nothing to undo when a connection goes back to the pool: xpcore keeps no session state
    on pooled connections (no LISTEN, advisory locks or temp tables; PgBouncer in transaction
    mode must work too, LISTEN and migrations use DATABASE_DIRECT_URL), so asyncpg's default
    reset would only cost a round trip per request."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects; the SQL functions return jsonb documents.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class Database:
    """Owns one pool; `pool()` creates it on first use.

    `role`: the role every connection runs as (the API passes DATABASE_API_ROLE; workers and
    the CLI pass none and run as the login). Sent as the `role` startup parameter rather than a
    `SET ROLE` in `init`: no extra round trip, and set before the first statement. A missing
    role, or a login that may not take it, fails the connection: never the owner by mistake.
    PgBouncer refuses the parameter: give the API its own login there (docs/migrations.md).
    """

    def __init__(
        self,
        settings: Settings,
        role: str | None = None,
        *,
        url: str | None = None,
        pool_max: int | None = None,
        connect_timeout: float = 60,
    ) -> None:
        """`url`, `pool_max`: a read replica's pool (src/replicas.py); default DATABASE_URL's."""
        url = url or settings.database.url
        if not url:
            raise RuntimeError("DATABASE_URL is not set and no embedded server was attached")
        self.dsn = normalize_database_url(url)
        self._settings = settings.database
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._pool_max = pool_max or settings.database.pool_max
        self._connect_timeout = connect_timeout
        self.role = role
        if role and settings.database.pgbouncer:
            raise SettingsError(
                "DATABASE_API_ROLE",
                "must be empty behind PgBouncer (DATABASE_PGBOUNCER=true): give the API its own login",
            )

    def server_settings(self) -> dict[str, str]:
        """The startup parameters of every connection. Behind PgBouncer only application_name:
        it refuses any other it does not know (set statement_timeout and jit on the login role,
        docs/deployment.md)."""
        settings = {"application_name": "xpcore"}
        if self._settings.pgbouncer:
            return settings
        # OLTP: JIT compiles cost more than the short queries they would speed up.
        settings["jit"] = "off"
        if self._settings.statement_timeout_ms:
            settings["statement_timeout"] = str(self._settings.statement_timeout_ms)
        if self.role:
            settings["role"] = self.role
        return settings

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.dsn,
                        min_size=0,
                        max_size=self._pool_max,
                        init=_init_connection,
                        reset=_no_reset,
                        server_settings=self.server_settings(),
                        # 0 behind PgBouncer < 1.21 in transaction mode: asyncpg then re-parses
                        # each statement with its bind (one extra round trip, no named statement
                        # to lose); with max_prepared_statements the cache may stay on.
                        statement_cache_size=self._settings.statement_cache_size,
                        max_inactive_connection_lifetime=60,
                        timeout=self._connect_timeout,
                    )
        return self._pool

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        pool = await self.pool()
        return await pool.fetchrow(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        pool = await self.pool()
        return await pool.fetch(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        pool = await self.pool()
        return await pool.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        pool = await self.pool()
        return await pool.execute(query, *args)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def database(ctx: Any) -> Database:
    """A job's pool: the one its worker made at startup (src/worker/context.py)."""
    db: Database | None = ctx.get("db")
    if db is None:  # a job run outside a worker (tests call jobs directly)
        from src.settings import get_settings

        db = ctx["db"] = Database(get_settings())
    return db


def provide_db(state: State) -> Database:
    """The `db` dependency of every route handler: the app's one pool (src/app.py)."""
    db: Database = state.db
    return db


def json_response(text: str | None, status_code: int = 200) -> Response[bytes]:
    """A JSON answer made by Postgres, passed through as text: no parse and re-encode in Python.

    For endpoints whose db function already returns the exact document (json or jsonb).
    """
    if text is None:
        from litestar.exceptions import NotFoundException

        raise NotFoundException("not found")
    return Response(content=text.encode(), media_type=MediaType.JSON, status_code=status_code)
