"""The shared window limiter against real Redis: two processes' counts add up."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from src.auth.ratelimit import RateLimited, SharedWindowLimiter


async def test_two_limiters_share_one_limit(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    prefix = f"rl-test-{uuid.uuid4().hex}"
    first, second = SharedWindowLimiter(prefix, flush_s=0), SharedWindowLimiter(prefix, flush_s=0)
    try:
        for _ in range(5):
            await first.hit(redis, "k", 8)
        for _ in range(3):
            await second.hit(redis, "k", 8)
        with pytest.raises(RateLimited) as limited:
            await second.hit(redis, "k", 8)
        assert 0 < limited.value.retry_after <= 61
    finally:
        await redis.aclose()


async def test_redis_down_fails_open_for_the_caller_to_log() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = SharedWindowLimiter("x", flush_s=0)
    with pytest.raises(Exception):  # noqa: B017 - the middleware catches and fails open
        await limiter.hit(dead, "k", 10)
    await dead.aclose()


async def test_near_the_limit_the_processes_count_in_redis_first(redis_url) -> None:
    """Two processes taking turns within one flush interval: before, each counted up to the
    whole limit locally before adding up (twice the limit passed); now each adds up once its
    local count reaches a tenth of the headroom, so together they stay within 10 %."""
    redis = Redis.from_url(redis_url)
    prefix = f"rl-test-{uuid.uuid4().hex}"
    processes = [SharedWindowLimiter(prefix, flush_s=60), SharedWindowLimiter(prefix, flush_s=60)]
    accepted = 0
    try:
        for n in range(400):
            try:
                await processes[n % 2].hit(redis, "k", 200)
                accepted += 1
            except RateLimited:
                pass
        assert 200 <= accepted <= 220, accepted
        # far from the limit, a process still counts locally: 20 hits of a 6000 limit, 1 round trip
        calls = 0
        original = redis.pipeline

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            return original(*args, **kwargs)

        redis.pipeline = counting  # type: ignore[method-assign]
        quiet = SharedWindowLimiter(f"{prefix}-quiet", flush_s=60)
        for _ in range(20):
            await quiet.hit(redis, "k", 6000)
        assert calls == 1
    finally:
        await redis.aclose()
