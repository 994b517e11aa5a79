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
