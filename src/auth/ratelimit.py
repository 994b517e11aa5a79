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


class _Window:
    __slots__ = ("flushed_at", "inflight", "pending", "shared", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.pending = 0  # counted here, not yet added to the shared counter
        self.inflight = 0  # being added right now
        self.shared = 0  # the shared counter as last read (every process's, ours included)
        self.flushed_at = 0.0


class SharedWindowLimiter:
    """Per-key fixed windows for the hot path: counts are kept in this process and added to the
    shared Redis counter at most every `flush_s`, so a request costs no Redis round trip, and
    sooner as the window fills: a process counts locally at most a tenth of the headroom it
    last saw before it adds them up, so near the limit every request is counted in Redis first.

    The shared total decides, so the limit holds across processes, give or take what the other
    processes accept while one adds its counts (tests/e2e/test_many_processes.py: within 10 %
    with two API processes). If Redis is down the limit fails open (the caller logs it): awards
    must go on.
    """

    def __init__(self, prefix: str, window_s: int = 60, flush_s: float = 0.5) -> None:
        self.prefix, self.window_s, self.flush_s = prefix, window_s, flush_s
        self._state: dict[str, _Window] = {}

    async def hit(self, redis: Any, name: str, limit: int) -> None:
        now = time.time()
        window = now // self.window_s
        state = self._state.get(name)
        if state is None or state.window != window:
            state = self._state[name] = _Window(window)
        retry_after = int((window + 1) * self.window_s - now) + 1
        if state.pending + state.inflight + state.shared >= limit:
            raise RateLimited(retry_after)
        state.pending += 1
        headroom = limit - state.shared - state.inflight
        if now - state.flushed_at < self.flush_s and state.pending < max(1, headroom // 10):
            return
        state.flushed_at = now
        pending, state.pending = state.pending, 0
        state.inflight += pending
        key = f"{self.prefix}:rl:{name}:{int(window)}"
        try:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incrby(key, pending)
                pipe.expire(key, self.window_s * 2)
                total, _ = await pipe.execute()
        except Exception:
            state.pending += pending  # keep them for the next flush
            raise
        finally:
            state.inflight -= pending
        state.shared = max(state.shared, int(total))
        if state.shared > limit:
            raise RateLimited(retry_after)  # other processes filled the window meanwhile
