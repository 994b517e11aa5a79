"""The live hub: ONE LISTEN connection per API process, fanned out to in-memory queues.

PostgreSQL NOTIFYs two channels on commit:

- `xpcore_outbox`, payload `<outbox id>:<user id>` from `notify.enqueue` (one per notification),
  or `<kind>:<key>` from the batch writers (season close, broadcasts, league close: one per
  batch);
- `xpcore_ranks`, payload `<season>/<mode>/<generation>` from `xp.rebuild_board` when a rank
  snapshot is published.

The hub keeps every open stream of the process as a `Subscriber` (a bounded queue), by user and
by board. A notification for a user with no stream here costs a dict lookup and nothing else.
Wake-ups are coalesced (`COALESCE_S`) and each becomes ONE SQL call for all streams:
`notify.live_items` for the notifications, `seasons.live_ranks` (every streaming user's rank in
one statement) and `seasons.leaderboard` (once per board, cut per stream's `limit`) for a
snapshot. Events are encoded once and shared by every stream that gets them.

A slow client never grows memory: when its queue (`QUEUE_MAX` events) is full, what it has not
read is dropped and it gets one `resync` event instead. One heartbeat task (not a timer per
stream) sends a comment to every idle stream every `HEARTBEAT_S`. When the listener connection
is lost, every stream gets `resync` and the hub reconnects with backoff.

Delivery is at least once and best effort: the feed (`GET /notifications`) and the boards are the
truth, a stream the fast path to them. Notification events carry the notification id (SSE `id:`),
so a client drops a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from src.db import Database
from src.live import calls

log = logging.getLogger("xpcore.live")

OUTBOX = "xpcore_outbox"
RANKS = "xpcore_ranks"
QUEUE_MAX = 32  # events a stream may have unread before it is told to resync
COALESCE_S = 0.05  # wake-ups within this window share one SQL call
HEARTBEAT_S = 15.0
RECENT_IDS = 64  # notification ids a stream remembers, to drop a repeat from a catch-up
APPLICATION_NAME = "xpcore-live"  # the listener's pg_stat_activity name
MODES = ("reality", "cyber")


class Event:
    """One SSE event, encoded once (`raw`) and shared by every stream that gets it; `name`
    None is a comment (the heartbeat)."""

    __slots__ = ("data", "id", "name", "raw")

    def __init__(self, name: str | None, data: str, id: int | None = None) -> None:
        self.name, self.data, self.id = name, data, id
        if name is None:
            self.raw = f": {data}\n\n".encode()
        else:
            head = f"id: {id}\n" if id is not None else ""
            # JSON text is one line (newlines inside strings are escaped)
            self.raw = f"{head}event: {name}\ndata: {data}\n\n".encode()


PING = Event(None, "ping")
_encode = msgspec.json.Encoder().encode


def _event(name: str, payload: dict[str, Any]) -> Event:
    return Event(name, _encode(payload).decode())


RESYNC_OVERFLOW = _event("resync", {"reason": "overflow"})
RESYNC_LISTENER = _event("resync", {"reason": "listener_lost"})


class Subscriber:
    """One open stream: a user's events (`user_id`) or a board's top (`mode`, `limit`)."""

    __slots__ = ("limit", "mode", "queue", "ranks", "recent", "user_id")

    def __init__(self, user_id: str | None = None, mode: str | None = None, limit: int = 10) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_MAX)
        self.user_id, self.mode, self.limit = user_id, mode, limit
        self.ranks: dict[str, int] = {}  # mode -> the last rank sent
        self.recent: deque[int] = deque(maxlen=RECENT_IDS)

    def offer(self, event: Event) -> bool:
        """Queue `event`; a full queue is emptied and gets one `resync` instead (False)."""
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC_OVERFLOW)
            return False


def current_season_id() -> str:
    """This month's season (UTC), the one the worker's board rebuilds publish."""
    return datetime.now(UTC).strftime("%Y-%m")


class Hub:
    """The process's listener and its streams. Starts on the first subscriber."""

    def __init__(self, db: Database, dsn: str, role: str | None = None) -> None:
        self.db, self.dsn, self.role = db, dsn, role
        self.by_user: dict[str, set[Subscriber]] = {}
        self.by_board: dict[str, set[Subscriber]] = {mode: set() for mode in MODES}
        self.streams = 0
        self.stats = {"listener_connects": 0, "wakeups": 0, "sql_calls": 0, "events": 0, "overflows": 0}
        self._ids: set[int] = set()
        self._catch_up = False
        self._catch_up_after: int | None = None
        self._snapshots: dict[str, tuple[str, int]] = {}  # mode -> (season, generation)
        self._wake = asyncio.Event()
        self._listening = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._conn: asyncpg.Connection | None = None
        self._lost: asyncio.Event | None = None
        self._start_lock = asyncio.Lock()

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    # --- streams -------------------------------------------------------------------------

    async def subscribe(self, subscriber: Subscriber, wait_s: float = 5.0) -> None:
        """Register a stream; the first one starts the listener (waits up to `wait_s` for it)."""
        await self._start()
        if subscriber.user_id is not None:
            self.by_user.setdefault(subscriber.user_id, set()).add(subscriber)
        if subscriber.mode is not None:
            self.by_board[subscriber.mode].add(subscriber)
        self.streams += 1
        if not self._listening.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), wait_s)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.user_id is not None:
            subs = self.by_user.get(subscriber.user_id)
            if subs is not None:
                subs.discard(subscriber)
                if not subs:
                    del self.by_user[subscriber.user_id]
        if subscriber.mode is not None:
            self.by_board[subscriber.mode].discard(subscriber)
        self.streams -= 1

    def _offer(self, subscriber: Subscriber, event: Event) -> None:
        self.stats["events"] += 1
        if not subscriber.offer(event):
            self.stats["overflows"] += 1

    def _all(self) -> list[Subscriber]:
        subs = [s for group in self.by_user.values() for s in group]
        return subs + [s for group in self.by_board.values() for s in group]

    # --- lifecycle -----------------------------------------------------------------------

    async def _start(self) -> None:
        if self._tasks:
            return
        async with self._start_lock:
            if not self._tasks:
                loop = asyncio.get_running_loop()
                self._tasks = [
                    loop.create_task(self._listen_forever(), name="live-listener"),
                    loop.create_task(self._pump(), name="live-pump"),
                    loop.create_task(self._heartbeat(), name="live-heartbeat"),
                ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = None

    async def _connect(self) -> asyncpg.Connection:
        server_settings = {"application_name": APPLICATION_NAME}
        if self.role:
            server_settings["role"] = self.role
        conn = await asyncpg.connect(self.dsn, server_settings=server_settings, statement_cache_size=0)
        lost = self._lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(OUTBOX, self._on_notify)
        await conn.add_listener(RANKS, self._on_notify)
        return conn

    async def _listen_forever(self) -> None:
        backoff = 0.5
        while True:
            try:
                if self._catch_up_after is None:
                    self._catch_up_after = await calls.high_water(self.db)
                self._conn = await self._connect()
            except Exception as exc:  # down, refused, timed out: streams stay open, the hub retries
                log.warning("live listener could not connect (%s); retrying in %.1f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.5
            self.stats["listener_connects"] += 1
            self._listening.set()
            assert self._lost is not None
            await self._lost.wait()
            self._listening.clear()
            log.warning("live listener lost its connection; streams resync, reconnecting")
            for subscriber in self._all():
                self._offer(subscriber, RESYNC_LISTENER)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            for subscriber in self._all():
                if subscriber.queue.empty():
                    subscriber.queue.put_nowait(PING)

    # --- notifications in ----------------------------------------------------------------

    def _on_notify(self, _conn: Any, _pid: int, channel: str, message: object) -> None:
        payload = str(message)
        if channel == OUTBOX:
            head, _, user = payload.partition(":")
            if head.isdigit():
                if user in self.by_user:
                    self._ids.add(int(head))
                    self._wake.set()
            elif self.by_user:  # a batch writer: catch every streaming user up
                self._catch_up = True
                self._wake.set()
        elif channel == RANKS:
            season, _, rest = payload.partition("/")
            mode, _, generation = rest.partition("/")
            if mode in MODES and generation.isdigit():
                self._snapshots[mode] = (season, int(generation))
                self._wake.set()

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(COALESCE_S)
            self._wake.clear()
            ids, self._ids = self._ids, set()
            catch_up, self._catch_up = self._catch_up, False
            snapshots, self._snapshots = self._snapshots, {}
            self.stats["wakeups"] += 1
            try:
                if ids or catch_up:
                    await self._send_notifications(sorted(ids), catch_up)
                for mode, (season, generation) in snapshots.items():
                    await self._send_snapshot(season, mode, generation)
            except Exception:
                log.exception("live hub: a delivery failed; streams will get the next one")

    async def _send_notifications(self, ids: list[int], catch_up: bool) -> None:
        users = list(self.by_user)
        if not users:
            return
        after = self._catch_up_after if catch_up else None
        self.stats["sql_calls"] += 1
        rows = await calls.items(self.db, ids, users, after)
        for row in rows:
            outbox_id = int(row["id"])
            if catch_up and self._catch_up_after is not None:
                self._catch_up_after = max(self._catch_up_after, outbox_id)
            event = Event("notification", row["item"], outbox_id)
            for subscriber in self.by_user.get(str(row["user_id"]), ()):
                if outbox_id in subscriber.recent:
                    continue
                subscriber.recent.append(outbox_id)
                self._offer(subscriber, event)

    async def _send_snapshot(self, season: str, mode: str, generation: int) -> None:
        if season != current_season_id():
            return  # an on-demand rebuild of another season: the streams show the current one
        users = list(self.by_user)
        if users:
            self.stats["sql_calls"] += 1
            for row in await calls.ranks(self.db, season, mode, users):
                rank = int(row["rank"])
                event: Event | None = None
                for subscriber in self.by_user.get(str(row["user_id"]), ()):
                    if subscriber.ranks.get(mode) == rank:
                        continue
                    subscriber.ranks[mode] = rank
                    if event is None:
                        event = _event(
                            "rank",
                            {
                                "season_id": season,
                                "mode": mode,
                                "rank": rank,
                                "xp": int(row["xp"]),
                                "generation": int(row["generation"]),
                                "generated_at": row["generated_at"],
                            },
                        )
                    self._offer(subscriber, event)
        watchers = self.by_board[mode]
        if watchers:
            self.stats["sql_calls"] += 1
            text = await calls.board_top(self.db, season, mode, max(s.limit for s in watchers))
            if text is None:
                return
            page = msgspec.json.decode(text)
            by_limit: dict[int, Event] = {}
            for subscriber in list(watchers):
                event = by_limit.get(subscriber.limit)
                if event is None:
                    event = by_limit[subscriber.limit] = _event(
                        "board",
                        {
                            "season": page["season"],
                            "mode": mode,
                            "generation": generation,
                            "generated_at": page["generated_at"],
                            "entries": page["entries"][: subscriber.limit],
                        },
                    )
                self._offer(subscriber, event)
