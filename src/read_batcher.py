"""Sends concurrent reads of one kind to PostgreSQL together: one call answers many callers.

The hottest reads (a caller's profile, own rank and around-me; src/fast_lane.py) each cost one
round trip, and on a small server the round trip (the API's asyncpg call, the backend's wake-up,
receive, statement start and send) cost about as much CPU as the read's own work. As with the
awards (src/xp/batcher.py): a read that arrives while fewer than `max_inflight` calls run goes at
once, alone, so nothing waits at low load; reads that arrive while every slot is busy queue, and
the next free slot takes up to `max_batch` of them in one call of the batch function
(`xp.profiles`, `seasons.arounds`), which answers each item exactly as the single-read function
would (it calls it per item).

Failures stay per caller: a batch call that one item's error fails (an unknown user or season)
is asked again item by item, each alone, so each caller gets the answer or the error its own
single call gives; nothing is written, so asking again is safe. A failure of the call itself (no
connection, the statement timeout, the server shutting down) is every caller's answer: asking
each alone would only put the same load again on a server that could not take it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from src.batching import start_call, take_live
from src.db import Database
from src.metrics import READ_BATCH_SIZE

# SQLSTATE classes that are the call's failure, not an item's: connection exception, insufficient
# resources, operator intervention (statement timeout, shutdown), system error
CALL_FAILURES = frozenset({"08", "53", "57", "58"})

Item = tuple[Any, ...]
# (db, items) -> one answer per item, in order; (db, *item) -> that item's answer alone
BatchCall = Callable[[Database, Sequence[Item]], Awaitable[Sequence[str | None]]]
SoloCall = Callable[..., Awaitable[str | None]]


@dataclass(slots=True)
class _Waiting:
    item: Item
    future: asyncio.Future[str | None]


class ReadBatcher:
    def __init__(
        self, db: Database, name: str, batch: BatchCall, solo: SoloCall, *, max_batch: int = 32, max_inflight: int = 2
    ) -> None:
        if max_batch < 1 or max_inflight < 1:
            raise ValueError("max_batch and max_inflight must be at least 1")
        self._db = db
        self._name = name
        self._batch = batch
        self._solo = solo
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._inflight = 0
        self._pending: deque[_Waiting] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self.calls = 0  # database calls made, and reads they carried (tests)
        self.reads = 0

    async def read(self, *item: Any) -> str | None:
        """One read's answer (the single-read function's JSON text, or None where it gives none)."""
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Waiting(item, future))
        if self._inflight < self._max_inflight:
            self._send_next()
        return await future

    async def read_on(self, db: Any, *item: Any) -> str | None:
        """This read on `db` (a route's `replica` dependency): shared with other callers when `db`
        is this batcher's pool (the primary), alone on a read replica (src/replicas.py)."""
        if db is self._db:
            return await self.read(*item)
        answer: str | None = await self._solo(db, *item)
        return answer

    def _send_next(self) -> bool:
        batch = take_live(self._pending, self._max_batch)
        if not batch:
            return False
        self._inflight += 1
        self.calls += 1
        self.reads += len(batch)
        READ_BATCH_SIZE.labels(self._name).observe(len(batch))
        start_call(self._tasks, self._send(batch))
        return True

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            if len(batch) == 1:
                await self._alone(batch[0])
                return
            try:
                answers = await self._batch(self._db, [w.item for w in batch])
            except asyncpg.PostgresError as exc:
                if (exc.sqlstate or "")[:2] in CALL_FAILURES:
                    raise
                await asyncio.gather(*(self._alone(w) for w in batch))  # an item's error
                return
            for waiting, answer in zip(batch, answers, strict=True):
                if not waiting.future.done():
                    waiting.future.set_result(answer)
        except BaseException as exc:  # the call failed, or was cancelled: never leave a caller waiting
            for waiting in batch:
                if not waiting.future.done():
                    waiting.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            if not isinstance(exc, Exception):
                raise
        finally:
            self._inflight -= 1
            while self._pending and self._inflight < self._max_inflight and self._send_next():
                pass

    async def _alone(self, waiting: _Waiting) -> None:
        try:
            answer = await self._solo(self._db, *waiting.item)
        except Exception as exc:
            if not waiting.future.done():
                waiting.future.set_exception(exc)
        else:
            if not waiting.future.done():
                waiting.future.set_result(answer)
