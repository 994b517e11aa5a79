"""The heartbeat job, run directly and through a real SAQ worker on Redis."""

from __future__ import annotations

import asyncio

from saq import Queue

from src.platform.jobs import heartbeat
from src.worker import SCHEDULE, TASKS, context


async def test_heartbeat_writes_its_row(test_env, db_pool) -> None:
    before = await db_pool.fetchval("select coalesce((select beats from app.heartbeats where name = 'worker'), 0)")
    ctx: dict = {}
    await context.startup(ctx)
    try:
        await heartbeat(ctx)
    finally:
        await context.shutdown(ctx)
    assert await db_pool.fetchval("select beats from app.heartbeats where name = 'worker'") == before + 1


def test_heartbeat_is_a_unique_minutely_cron_with_timeout_and_retries() -> None:
    job = next(j for j in SCHEDULE if j.function is heartbeat)
    assert job.cron == "* * * * *" and job.unique
    assert job.timeout and job.retries


async def test_a_real_worker_runs_an_enqueued_heartbeat(test_env, db_pool) -> None:
    from saq import Worker

    queue = Queue.from_url(test_env["REDIS_URL"], name=f"{test_env['XPCORE_QUEUE']}-hb")
    worker = Worker(queue, functions=TASKS, startup=context.startup, shutdown=context.shutdown, concurrency=1)
    runner = asyncio.create_task(worker.start())
    try:
        job = await queue.enqueue("heartbeat", timeout=30, retries=2)
        assert job is not None
        await job.refresh(until_complete=10)
        assert job.status == "complete", job.error
    finally:
        await worker.stop()
        runner.cancel()
        await queue.disconnect()
    assert await db_pool.fetchval("select beats from app.heartbeats where name = 'worker'") >= 1
