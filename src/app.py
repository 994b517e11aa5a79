"""The application factory: `create_app()` builds Litestar from small `_configure_*` steps.

Nothing here connects at import or at construction: the Postgres pool and the Redis client
open their first connection when first used, so the process starts (and `/ready` explains)
even while a dependency is down.
"""

from __future__ import annotations

import gc
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusController

from src import __doc__ as description
from src import docs_ui, openapi
from src.auth.middleware import AuthMiddleware
from src.db import Database, provide_db
from src.embedded import attach
from src.fast_lane import FastLane
from src.limits import MAX_BODY_BYTES, InputGuardMiddleware
from src.logs import RequestIdMiddleware, configure_logging
from src.metrics import MetricsMiddleware
from src.problems import EXCEPTION_HANDLERS
from src.read_batcher import ReadBatcher
from src.replicas import ReplicaMiddleware, Replicas, provide_primary, provide_replica
from src.routes import ROUTES
from src.seasons import calls as seasons_calls
from src.settings import Settings, get_settings, sqlalchemy_url
from src.xp import calls as xp_calls
from src.xp.batcher import AwardBatcher, provide_awards

VERSION = "0.1.0"


def _configure_state(config: AppConfig, settings: Settings) -> None:
    from redis.asyncio import Redis

    from src.auth.api_keys import ApiKeyVerifier
    from src.auth.ratelimit import SharedWindowLimiter
    from src.live.hub import Hub
    from src.migrations import head_revision
    from src.settings import normalize_database_url

    db = Database(settings, role=settings.database.api_role)  # workers: src/worker/context.py, no role
    # read-only handlers' `replica` dependency (src/replicas.py); None: every read on `db`
    replicas = Replicas(settings, db, settings.database.api_role) if settings.database.replica_urls else None
    read_batching = {"max_batch": settings.database.read_batch_max, "max_inflight": settings.database.read_calls_max}
    config.state = State(
        {
            "settings": settings,
            "db": db,
            "replicas": replicas,
            "awards": AwardBatcher(
                db, max_batch=settings.database.award_batch_max, max_inflight=settings.database.award_calls_max
            ),
            # the fast lane's reads, many callers per call (src/read_batcher.py)
            "profile_reads": ReadBatcher(db, "profile", xp_calls.profiles, xp_calls.profile, **read_batching),
            "around_reads": ReadBatcher(db, "around", seasons_calls.arounds, seasons_calls.around, **read_batching),
            # redis-py connects on first command, not here.
            "redis": Redis.from_url(settings.redis.url or "redis://127.0.0.1:6379/0", socket_timeout=2),
            "migration_head": head_revision(),
            "api_keys": ApiKeyVerifier(settings),
            "api_key_limiter": SharedWindowLimiter(settings.redis.key_prefix),
            # SSE streams: one LISTEN connection for the process, opened by the first stream;
            # direct (never through PgBouncer in transaction mode, which cannot LISTEN)
            "live": Hub(
                db,
                normalize_database_url(settings.database_direct_url or db.dsn),
                role=settings.database.api_role,
            ),
        }
    )

    async def start(app: Litestar) -> None:
        if app.state.replicas is not None:
            await app.state.replicas.start()

    async def close(app: Litestar) -> None:
        if app.state.replicas is not None:
            await app.state.replicas.stop()
        await app.state.live.close()
        await app.state.db.close()
        await app.state.redis.aclose()

    config.on_startup.append(start)
    config.on_shutdown.append(close)


def _configure_database_cli(config: AppConfig, settings: Settings) -> None:
    """advanced-alchemy's plugin gives the CLI its `database` group (Alembic on db/migrations)."""
    from advanced_alchemy.extensions.litestar import AlembicAsyncConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin

    from src.migrations import MIGRATIONS_DIR, VERSION_TABLE

    # migrations hold session state (a transaction per revision, asyncpg's prepared statements):
    # straight to PostgreSQL, never through PgBouncer
    assert settings.database_direct_url
    config.plugins.append(
        SQLAlchemyPlugin(
            config=SQLAlchemyAsyncConfig(
                connection_string=sqlalchemy_url(settings.database_direct_url),
                create_all=False,
                alembic_config=AlembicAsyncConfig(
                    script_location=str(MIGRATIONS_DIR),
                    version_table_name=VERSION_TABLE,
                    script_config="",
                ),
            )
        )
    )


def _configure_jobs(config: AppConfig, settings: Settings) -> None:
    from src.worker import jobs_plugins

    saq, detach = jobs_plugins(settings)
    config.plugins.extend([saq, detach])
    config.state["queue"] = saq.get_queue(settings.queue_name)


def _configure_http(config: AppConfig, settings: Settings) -> None:
    config.route_handlers.extend(ROUTES)
    # handlers take the pool as `db` (and the award route the batcher as `awards`); read-only
    # handlers take `replica`: a read replica when one is fit, else the same primary pool
    config.dependencies.update(
        {
            "db": Provide(provide_db, sync_to_thread=False),
            # without replicas, `replica` is `db` itself: no per-request cost
            "replica": Provide(provide_replica)
            if settings.database.replica_urls
            else Provide(provide_primary, sync_to_thread=False),
            "awards": Provide(provide_awards, sync_to_thread=False),
        }
    )
    config.exception_handlers.update(EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    # NUL, invalid UTF-8 and over-deep JSON never reach SQL (src/limits.py)
    config.middleware.insert(0, DefineMiddleware(InputGuardMiddleware))
    config.middleware.append(DefineMiddleware(AuthMiddleware))
    if settings.database.replica_urls:  # after auth: it reads the caller
        config.middleware.append(DefineMiddleware(ReplicaMiddleware))
    if settings.cors_origins:
        config.cors_config = CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "X-API-Key", "X-Request-ID"],
        )


def _configure_observability(config: AppConfig, settings: Settings) -> None:
    config.route_handlers.append(PrometheusController)


def _outermost(app: Litestar) -> Litestar:
    """Request id, access log and metrics wrap the whole app, outside routing and the
    middleware: Litestar runs `middleware=` only for a request a route matched, so 404s, 405s
    and the auth middleware's own 401/429 answers were neither logged nor counted. The fast lane
    (src/fast_lane.py) sits inside them, so what it answers is logged and counted the same."""
    app.state.fast_lane = lane = FastLane(app.asgi_handler)
    app.asgi_handler = RequestIdMiddleware(MetricsMiddleware(lane))
    return app


def _configure_openapi(config: AppConfig, settings: Settings) -> None:
    config.openapi_config = OpenAPIConfig(
        title="xpcore",
        version=VERSION,
        description=(description or "").strip(),
        path="/schema",
        render_plugins=docs_ui.render_plugins(),
        operation_id_creator=openapi.operation_id,
    )
    config.route_handlers.append(docs_ui.assets_router())

    def finish_document(app: Litestar) -> None:
        openapi.finish(app, description or "")

    config.on_startup.append(finish_document)


def create_app(settings: Settings | None = None) -> Litestar:
    settings, _ = attach(settings or get_settings())
    configure_logging(settings.log_level)
    config = AppConfig(debug=False, request_max_body_size=MAX_BODY_BYTES)
    for step in (
        _configure_state,
        _configure_database_cli,
        _configure_jobs,
        _configure_http,
        _configure_observability,
        _configure_openapi,
        _configure_gc,
    ):
        step(config, settings)
    return _outermost(Litestar.from_config(config))


def _configure_gc(config: AppConfig, settings: Settings) -> None:
    """Once started, move everything alive (modules, routes, schemas: a large heap) out of the
    collector's reach: full collections then scan only what requests allocate, instead of
    pausing every request for tens of milliseconds (the p99 of the hot paths, bench/README.md)."""

    def freeze(app: Litestar) -> None:
        gc.collect()
        gc.freeze()

    config.on_startup.append(freeze)


def __getattr__(name: str) -> Any:  # `litestar --app src.app:app` convenience, built on demand
    if name == "app":
        return create_app()
    raise AttributeError(name)
