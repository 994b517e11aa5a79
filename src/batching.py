"""What the two batchers share (src/xp/batcher.py for awards, src/read_batcher.py for reads):
taking the next call's waiting callers off the queue, and keeping the call's task alive."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar


class Waiting(Protocol):
    @property
    def future(self) -> asyncio.Future[Any]: ...


W = TypeVar("W", bound=Waiting)


def take_live(pending: deque[W], limit: int) -> list[W]:
    """Up to `limit` callers from the front of `pending`, skipping those that went away."""
    batch: list[W] = []
    while pending and len(batch) < limit:
        waiting = pending.popleft()
        if not waiting.future.done():  # else its caller went away
            batch.append(waiting)
    return batch


def start_call(tasks: set[asyncio.Task[None]], call: Coroutine[Any, Any, None]) -> None:
    """Run `call` as a task held in `tasks` until it ends (the loop keeps only a weak reference)."""
    task = asyncio.get_running_loop().create_task(call)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
