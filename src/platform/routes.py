"""Liveness, readiness and the platform endpoints of api.md."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get

from src.db import Database
from src.platform import calls


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    database: str
    redis: str
    migrations: str


async def _check_database(db: Database, head: str) -> tuple[str, str]:
    try:
        current = await asyncio.wait_for(calls.applied_revisions(db), timeout=2)
    except Exception as exc:  # any failure is "not ready", with the reason
        return f"unavailable: {type(exc).__name__}", "unknown"
    if current == head:
        return "ok", f"ok (at head {head})"
    return "ok", f"behind: at {current or 'none'}, head is {head}"


async def _check_redis(request: Request[Any, Any, Any]) -> str:
    try:
        redis = request.app.state.redis
        await asyncio.wait_for(redis.ping(), timeout=2)
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"


class HealthController(Controller):
    tags = ["platform"]

    @get("/health", summary="The process is alive")
    async def health(self) -> Health:
        return Health(status="ok")

    @get("/ready", summary="Database, Redis and migrations are ready")
    async def ready(self, request: Request[Any, Any, Any], db: Database) -> Response[Readiness]:
        (database, migrations), redis = await asyncio.gather(
            _check_database(db, request.app.state.migration_head), _check_redis(request)
        )
        body = Readiness(database=database, redis=redis, migrations=migrations)
        ok = database == "ok" and redis == "ok" and migrations.startswith("ok")
        return Response(body, status_code=200 if ok else 503)
