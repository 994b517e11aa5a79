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


class SharedWindowLimiter:
    """Per-key fixed windows for the hot path: counts are kept in this process and added to the
    shared Redis counter at most every `flush_s`, so a request costs no Redis round trip.

    The shared total decides, so the limit holds across processes, give or take what each
    process serves within one flush interval. If Redis is down the limit fails open (the
    caller logs it): awards must go on.
    """

    def __init__(self, prefix: str, window_s: int = 60, flush_s: float = 0.5) -> None:
        self.prefix, self.window_s, self.flush_s = prefix, window_s, flush_s
        self._state: dict[str, list[float]] = {}  # name -> [window, pending, shared_total, last_flush]

    async def hit(self, redis: Any, name: str, limit: int) -> None:
        now = time.time()
        window = now // self.window_s
        state = self._state.get(name)
        if state is None or state[0] != window:
            state = self._state[name] = [window, 0, 0, 0.0]
        if state[1] + state[2] >= limit:
            raise RateLimited(int((window + 1) * self.window_s - now) + 1)
        state[1] += 1
        if now - state[3] >= self.flush_s:
            state[3] = now
            pending, state[1] = state[1], 0
            key = f"{self.prefix}:rl:{name}:{int(window)}"
            try:
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.incrby(key, int(pending))
                    pipe.expire(key, self.window_s * 2)
                    total, _ = await pipe.execute()
            except Exception:
                state[1] += pending  # keep them for the next flush
                raise
            state[2] = int(total)
