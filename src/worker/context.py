"""Worker context: each worker process owns one Database pool, made at startup. Also the
start and stop of a worker that runs inside the API process (`make dev`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from src.db import Database, database

__all__ = ["database", "in_process_lifecycle", "shutdown", "startup"]
from src.settings import get_settings, normalize_database_url


async def startup(ctx: Any) -> None:
    from src.worker.wakeup import listen

    settings = get_settings()
    ctx["db"] = Database(settings)
    worker = ctx.get("worker")
    if worker is not None:
        # LISTEN holds a session: straight to PostgreSQL, never through PgBouncer
        direct = normalize_database_url(settings.database_direct_url or ctx["db"].dsn)
        ctx["listener"] = await listen(direct, worker.queue)


async def shutdown(ctx: Any) -> None:
    listener = ctx.get("listener")
    if listener is not None:
        await listener.close()
    db = ctx.get("db")
    if db is not None:
        await db.close()


def in_process_lifecycle(worker: Any) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """The app's startup and shutdown hooks for a worker running in the API's event loop, in
    place of litestar-saq's `Worker.on_app_startup`/`on_app_shutdown`.

    Those start litestar-saq's HeartbeatManager (a thread for its `@monitored_job` decorator,
    which no job here uses) and stop it with `loop.stop()` from another thread while its loop
    sits in `run_until_complete(sleep)`: "Event loop stopped before Future completed", logged
    as "HeartbeatManager thread crashed" on every shutdown. And their shutdown only schedules
    `worker.stop()` as a task nobody awaits, so the loop could close before the running jobs
    were cancelled and before our `shutdown` (listener, pool) ran. Here: no manager, and the
    shutdown awaits the worker's stop and then the end of its `start()` task.
    """
    task: asyncio.Task[None] | None = None

    async def start() -> None:
        nonlocal task
        worker.SIGNALS = []  # the server owns SIGINT/SIGTERM and calls stop() on shutdown
        task = asyncio.get_running_loop().create_task(worker.start(), name=f"saq-worker-{worker.queue.name}")

    async def stop() -> None:
        if task is None:
            return
        await worker.stop()  # cancels the jobs and the upkeep loops, then runs `shutdown` above
        await task  # start() returns once stop() has set its event
        await worker.queue.disconnect()

    return start, stop
