"""Sends concurrent XP awards to Postgres together: one `xp.award_events` call for many.

An award that arrives while fewer than `max_inflight` calls are running goes at once, alone:
at low load nothing waits. Awards that arrive while every slot is busy queue, and the next
free slot takes up to `max_batch` of them in one call. Under load a round trip, a commit and
the Python side of an asyncpg call are then shared by many awards, which roughly halves the
cost of an award on both sides (bench/README.md). Each award still succeeds or fails alone:
the db function runs each in its own subtransaction and answers its SQLSTATE, message and
DETAIL, which are raised here as `Refused` (src/db_errors.py), answered exactly like the same
error raised by a single call.

One user's awards never go in two calls at once. Two calls that book the same user would
queue on that user's totals row, each holding its lock through its own commit: with many calls
in flight for one hot user (a bot crediting one member in bursts) they all wait on that row, one
commit at a time, and every waiting call holds a pool connection (bench/README.md, one hot
user). So an award whose user is booked by a running call waits for it, and the next call takes
all of that user's waiting awards (up to `max_batch`) together, in arrival order. Users are
told apart by how the award names them (id or Discord id); the database's lock order still
keeps two calls that name one user both ways correct.

Durability is unchanged: a request is answered only after the call that booked it committed.
If that call fails as a whole (connection lost, timeout), every award in it fails and nothing
of it was written; clients retry with the same idempotency keys.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
from litestar.datastructures import State

from src.batching import start_call, take_live
from src.db import Database
from src.db_errors import Refused
from src.metrics import AWARD_BATCH_SIZE
from src.xp import calls

# A deadlock or serialization failure of one item is retried in a later call, this many times.
RETRIES = 3
TRANSIENT = frozenset({"40P01", "40001"})


@dataclass(slots=True)
class Award:
    """The arguments of one xp.award_event call."""

    user_id: uuid.UUID | None
    discord_id: str | None
    activity: str
    units: Decimal
    idempotency_key: str
    occurred_at: datetime | None
    metadata: dict[str, Any]
    # the caller, as authenticated: xp.award_event decides what it may award
    caller_user: uuid.UUID | None
    caller_key: uuid.UUID | None = None


def _user(award: Award) -> object:
    """Who an award books, as the request names them."""
    return award.user_id if award.user_id is not None else ("discord", award.discord_id)


@dataclass(slots=True)
class _Waiting:
    award: Award
    future: asyncio.Future[tuple[bool, str]]
    attempts: int = 0


class AwardBatcher:
    def __init__(self, db: Database, *, max_batch: int = 32, max_inflight: int = 1) -> None:
        if not 1 <= max_batch <= 64:
            raise ValueError("max_batch must be 1 to 64 (the db function's limit)")
        self._db = db
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._inflight = 0
        self._pending: deque[_Waiting] = deque()
        # The users of the calls in flight, each with its awards that arrived since, in order.
        self._held: dict[object, deque[_Waiting]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.calls = 0  # database calls made, and awards they carried (also in /metrics)
        self.awards = 0

    async def award(self, award: Award) -> tuple[bool, str]:
        """Book one award; returns (replayed, the answer's JSON text)."""
        future: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        waiting = _Waiting(award, future)
        held = self._held.get(_user(award))
        if held is not None:  # a running call books this user: wait for the next one
            held.append(waiting)
        else:
            self._pending.append(waiting)
            if self._inflight < self._max_inflight:
                self._send_next()
        return await future

    def _send_next(self) -> bool:
        """Send up to `max_batch` waiting awards in one call; False if none was waiting.
        `_pending` never holds an award of a user a running call books."""
        batch = take_live(self._pending, self._max_batch)
        if not batch:
            return False
        users = {_user(w.award) for w in batch}
        for user in users:
            self._held[user] = deque()
        if self._pending:  # a full call: the rest of its users' awards wait for the next one
            rest: deque[_Waiting] = deque()
            for waiting in self._pending:
                held = self._held.get(_user(waiting.award))
                (rest if held is None else held).append(waiting)
            self._pending = rest
        self._inflight += 1
        self.calls += 1
        self.awards += len(batch)
        AWARD_BATCH_SIZE.observe(len(batch))
        start_call(self._tasks, self._send(batch, users))
        return True

    async def _send(self, batch: list[_Waiting], users: set[object]) -> None:
        awards = [w.award for w in batch]
        retries: list[_Waiting] = []
        try:
            rows = await calls.award_events(
                self._db,
                [a.user_id for a in awards],
                [a.discord_id for a in awards],
                [a.activity for a in awards],
                [a.units for a in awards],
                [a.idempotency_key for a in awards],
                [a.occurred_at for a in awards],
                [msgspec.json.encode(a.metadata).decode() for a in awards],
                [a.caller_user for a in awards],
                [a.caller_key for a in awards],
            )
        except BaseException as exc:  # the whole call failed: nothing of it was written
            # A deadlock or serialization failure of the whole call (the league seats it takes
            # after its items) is retried like one item's: the call rolled back entirely.
            transient = isinstance(exc, asyncpg.PostgresError) and exc.sqlstate in TRANSIENT
            for waiting in batch:
                if waiting.future.done():
                    continue
                if transient and waiting.attempts < RETRIES:
                    waiting.attempts += 1
                    retries.append(waiting)
                else:
                    waiting.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            if not isinstance(exc, Exception):
                raise
        else:
            for row in rows:
                waiting = batch[row["item"] - 1]
                if self._settle(waiting, row):
                    retries.append(waiting)
            answered = {row["item"] for row in rows}
            for item, waiting in enumerate(batch, 1):  # never leave a caller waiting forever
                if item not in answered and not waiting.future.done():
                    waiting.future.set_exception(RuntimeError(f"xp.award_events gave no answer for item {item}"))
        finally:
            self._inflight -= 1
            # Retries first, then what arrived meanwhile, in order, behind the other users' awards.
            for waiting in reversed(retries):
                self._held[_user(waiting.award)].appendleft(waiting)
            for user in users:
                self._pending.extend(self._held.pop(user))
            while self._pending and self._inflight < self._max_inflight and self._send_next():
                pass

    def _settle(self, waiting: _Waiting, row: asyncpg.Record) -> bool:
        """Answer one award from its row; True if it is to be retried in a later call."""
        if waiting.future.done():
            return False
        code = row["error_code"]
        if code is None:
            waiting.future.set_result((row["replayed"], row["body"]))
        elif code in TRANSIENT and waiting.attempts < RETRIES:
            waiting.attempts += 1
            return True
        else:
            waiting.future.set_exception(Refused(code, row["body"], row["error_detail"]))
        return False


def provide_awards(state: State) -> AwardBatcher:
    """The `awards` dependency of the award route: the app's one batcher (src/app.py)."""
    awards: AwardBatcher = state.awards
    return awards
