"""Fixed-window counters in Redis, atomic in one round trip (INCR and EXPIRE in one script)."""

from __future__ import annotations

import time
from typing import Any

_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('TTL', KEYS[1])}
"""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = max(1, retry_after)


async def hit(redis: Any, name: str, limit: int, window_s: int, prefix: str) -> None:
    """Count one event in the current window; raise RateLimited when over the limit."""
    window = int(time.time() // window_s)
    key = f"{prefix}:rl:{name}:{window}"
    count, ttl = await redis.eval(_SCRIPT, 1, key, window_s)
    if int(count) > limit:
        raise RateLimited(int(ttl) if int(ttl) > 0 else window_s)
