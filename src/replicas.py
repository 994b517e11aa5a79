"""Read replicas: read-only endpoints take the `replica` dependency instead of `db`.

`DATABASE_REPLICA_URLS` lists PostgreSQL streaming replicas; each gets a small pool. A
background task in every API process (not a request) measures each replica's lag once a
second; a replica that is down or lags past `DATABASE_REPLICA_MAX_LAG_S` is skipped and the
read goes to the primary. A caller who wrote in the last max-lag seconds reads from the primary
(their own write is there for sure), marked by a Redis key their write sets. See
docs/deployment.md.

How lag is measured: every second the checker samples the primary's `pg_current_wal_lsn()`
(with the time it took it) and then each replica's `pg_last_wal_replay_lsn()`. A replica that
replayed up to the LSN the primary had at time t holds every change committed before t, so
its data is at most `now - t` old: the latest such sample gives the age. An idle primary does
not make it look old (its LSN stands still, the replica is at it: age below a second), which
`now() - pg_last_xact_replay_timestamp()` would; and no clock is compared between servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from src.db import Database
from src.settings import Settings

log = logging.getLogger("xpcore.replicas")

CHECK_INTERVAL_S = 1.0
READ_STATE_KEY = "xpcore_read"  # scope["state"][...]: the ReplicaRead a handler used
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# SQLSTATE classes a replica read retries on the primary: the connection, the server shutting
# down or starting, a recovery conflict (40001), a write on a read-only server (25006: a bug in
# what was routed, logged), resources. A refusal (XPnnn), bad input (22) or privilege (42)
# would be the same on the primary.
_RETRY_CLASSES = frozenset({"08", "25", "40", "53", "55", "57", "58", "XX"})
# A rank read finding the replica's logged rank snapshot stale (the publisher stopped,
# xp.season_standing): the primary answers, the replica stays in use.
STALE_RANK_SNAPSHOT = "replicas.stale_rank_snapshot"
_GENERATED_AT = re.compile(r'"generated_at" : "[^"]*"')


def retry_on_primary(exc: BaseException) -> bool:
    """Whether a replica read that failed with `exc` is asked of the primary."""
    if not isinstance(exc, asyncpg.PostgresError):
        return True  # the connection, a timeout: the replica's
    return (getattr(exc, "sqlstate", None) or "XX")[:2] in _RETRY_CLASSES


def replica_still_fine(exc: BaseException) -> bool:
    """Whether the replica stays in use after a read of it failed with `exc`: failures of one
    read that say nothing of its health. A query cancelled by a recovery conflict (40001:
    replaying the drop of a rank slot it still read, xp.publish_replica_board) and a stale
    rank snapshot copy (55000 'replicas.stale_rank_snapshot')."""
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate == "40001" or (sqlstate == "55000" and getattr(exc, "detail", None) == STALE_RANK_SNAPSHOT)


def parse_lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class ReplicaNode:
    """One replica: its pool and what the last check saw."""

    def __init__(self, name: str, db: Database) -> None:
        self.name = name
        self.db = db
        self.healthy = False  # until the first check says otherwise
        self.age_s: float | None = None  # upper bound of how old its data is; None: unknown
        self.replay_lsn: int | None = None
        self.error: str | None = None
        self.checked_at = 0.0  # monotonic time of the last check

    def age_now(self) -> float | None:
        """The age of the last check plus the time since: an upper bound right now."""
        return None if self.age_s is None else self.age_s + max(0.0, time.monotonic() - self.checked_at)


class Replicas:
    """The replicas of one process and the task that checks them."""

    def __init__(self, settings: Settings, primary: Database, role: str | None) -> None:
        database = settings.database
        self.primary = primary
        self.max_lag_s = float(database.replica_max_lag_s)
        self.nodes = [
            ReplicaNode(
                f"replica{i}",
                Database(settings, role, url=url, pool_max=database.replica_pool_max, connect_timeout=2),
            )
            for i, url in enumerate(database.replica_urls)
        ]
        self.key_prefix = f"{settings.redis.key_prefix}:wrote:"
        # A write keeps its author on the primary this long: the most a replica in use lags,
        # plus one check interval (its lag is measured at most that long ago).
        self.read_own_writes_s = self.max_lag_s + CHECK_INTERVAL_S
        self._samples: deque[tuple[float, int]] = deque()  # (monotonic time, primary LSN)
        self._primary_up = False
        self._next = 0
        self._task: asyncio.Task[None] | None = None
        self._marked: dict[str, float] = {}  # principal -> when this process last set its key
        self._redis_warned = False

    # --- the background check ----------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None and self.nodes:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="xpcore-replica-check")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for node in self.nodes:
            await node.db.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # never let the checker die: the next round tries again
                log.exception("replica check failed")
            await asyncio.sleep(CHECK_INTERVAL_S)

    async def check(self) -> None:
        """Sample the primary's LSN, then each replica's replay LSN; set health and age."""
        try:
            lsn = await asyncio.wait_for(self.primary.fetchval("select pg_current_wal_lsn()::text"), 2)
            now = time.monotonic()
            self._samples.append((now, parse_lsn(lsn)))
            self._primary_up = True
        except Exception:
            self._primary_up = False
        keep = time.monotonic() - (self.max_lag_s + 5 * CHECK_INTERVAL_S)
        while len(self._samples) > 1 and self._samples[0][0] < keep:
            self._samples.popleft()
        await asyncio.gather(*(self._check_node(node) for node in self.nodes))

    async def _check_node(self, node: ReplicaNode) -> None:
        try:
            row = await asyncio.wait_for(
                node.db.fetchrow("select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as lsn"), 2
            )
            assert row is not None
        except Exception as exc:
            self._set(node, healthy=False, age=None, error=type(exc).__name__)
            return
        if not row["standby"] or row["lsn"] is None:  # promoted, or not a streaming standby
            self._set(node, healthy=False, age=None, error="not a standby")
            return
        node.replay_lsn = parse_lsn(row["lsn"])
        age = self.age(node.replay_lsn, time.monotonic())
        caught_up = bool(self._samples) and node.replay_lsn >= self._samples[-1][1]
        # With the primary unreachable no newer sample comes: a replica holding all it had
        # keeps answering reads (its age, growing, says so) rather than sending them to it.
        healthy = age is not None and (age <= self.max_lag_s or (not self._primary_up and caught_up))
        self._set(node, healthy=healthy, age=age, error=None if healthy else "lagging")

    def age(self, replay_lsn: int, now: float) -> float | None:
        """How old a replica's data is at most: the time since the latest primary sample it has
        replayed past. None when it is behind every sample kept (older than max lag + 5 s)."""
        for sampled_at, lsn in reversed(self._samples):
            if lsn <= replay_lsn:
                return max(0.0, now - sampled_at)
        return None

    def _set(self, node: ReplicaNode, *, healthy: bool, age: float | None, error: str | None) -> None:
        if node.healthy != healthy:
            if healthy:
                log.info("replica %s back in use (data age %.1f s)", node.name, age or 0.0)
            else:
                log.warning("replica %s skipped: %s (reads go to the primary)", node.name, error)
        node.healthy, node.age_s, node.error, node.checked_at = healthy, age, error, time.monotonic()

    def demote(self, node: ReplicaNode, exc: BaseException) -> None:
        """A read on the replica failed: skip it until the next check finds it well."""
        self._set(node, healthy=False, age=None, error=type(exc).__name__)

    def pick(self) -> ReplicaNode | None:
        """A healthy replica, round robin; None: read from the primary."""
        healthy = [node for node in self.nodes if node.healthy]
        if not healthy:
            return None
        self._next = (self._next + 1) % len(healthy)
        return healthy[self._next]

    # --- reading your own writes --------------------------------------------------------------

    @staticmethod
    def author(principal: Any) -> str | None:
        ident: uuid.UUID | None = getattr(principal, "user_id", None) or getattr(principal, "api_key_id", None)
        return str(ident) if ident else None

    async def note_write(self, redis: Any, author: str) -> None:
        """Keep `author` on the primary for read_own_writes_s. The key lives twice that and is
        set again once half of it has passed, so a stream of writes (a bot awarding) costs one
        Redis call per ten-odd seconds, not one per request."""
        now = time.monotonic()
        if now - self._marked.get(author, -math.inf) < self.read_own_writes_s:
            return
        try:
            await redis.set(self.key_prefix + author, b"1", ex=math.ceil(2 * self.read_own_writes_s))
        except Exception as exc:
            if not self._redis_warned:
                log.warning("read-your-writes marker not set: redis unavailable (%s)", type(exc).__name__)
                self._redis_warned = True
            return
        if len(self._marked) > 100_000:
            self._marked.clear()
        self._marked[author] = now

    async def wrote_recently(self, redis: Any, author: str) -> bool:
        try:
            return bool(await redis.exists(self.key_prefix + author))
        except Exception:
            return True  # cannot tell: the primary is always right


class ReplicaRead(Database):
    """A read routed to a replica, falling back to the primary if the replica fails it. Quacks
    like `Database` for the area's calls (fetch, fetchrow, fetchval); records who answered."""

    def __init__(self, replicas: Replicas, node: ReplicaNode | None, reason: str) -> None:
        self.replicas = replicas
        self.node = node
        self.served_by = "primary"
        # why the primary: "own-write", "no-healthy-replica", "fallback", "stale-rank-snapshot",
        # "recovery-conflict" (the last two keep the replica in use)
        self.reason = reason
        self.age_s: float | None = None
        self.dsn = replicas.primary.dsn
        self.role = replicas.primary.role

    async def _call(self, method: str, query: str, *args: Any) -> Any:
        node = self.node
        if node is not None:
            try:
                pool = await node.db.pool()
                result = await getattr(pool, method)(query, *args)
            except Exception as exc:
                if not retry_on_primary(exc):
                    raise
                sqlstate = getattr(exc, "sqlstate", None)
                if sqlstate == "25006":
                    log.error("a routed read wrote on replica %s: %s", node.name, query)
                if replica_still_fine(exc):
                    self.reason = "stale-rank-snapshot" if sqlstate == "55000" else "recovery-conflict"
                else:
                    self.replicas.demote(node, exc)
                    self.reason = "fallback"
                self.node = None
            else:
                self.served_by, self.age_s = "replica", node.age_now()
                return result
        pool = await self.replicas.primary.pool()
        self.served_by = "primary"
        return await getattr(pool, method)(query, *args)

    async def pool(self) -> asyncpg.Pool:
        return await self.replicas.primary.pool()

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._call("fetchrow", query, *args)
        return row

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._call("fetch", query, *args)
        return rows

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._call("fetchval", query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        raise RuntimeError("a replica read does not execute statements")

    async def close(self) -> None:
        """The pools belong to `Replicas` and the app."""


def provide_primary(state: State) -> Database:
    """The `replica` dependency when no replica is configured: the app's `db`, at no cost."""
    db: Database = state.db
    return db


async def provide_replica(request: Request[Any, Any, Any]) -> Database:
    """The `replica` dependency of read-only handlers: a replica when one is healthy and the
    caller has not just written, else the primary (the app's `db`)."""
    state = request.app.state
    replicas: Replicas | None = state.get("replicas")
    if replicas is None:
        db: Database = state.db
        return db
    author = replicas.author(request.scope.get("user"))
    if author is not None and await replicas.wrote_recently(state.redis, author):
        read = ReplicaRead(replicas, None, "own-write")
    else:
        node = replicas.pick()
        read = ReplicaRead(replicas, node, "replica" if node else "no-healthy-replica")
    request.scope.setdefault("state", {})[READ_STATE_KEY] = read  # type: ignore[typeddict-item]
    return read


def as_of(text: str | None, db: Database) -> str | None:
    """A live page's `generated_at` (now() where it was built) from a replica: moved back by the
    replica's age, so it still says "every change committed before this instant is in here".
    The key is the first `generated_at` in the text (the board's own, ahead of any entry)."""
    if text is None or not isinstance(db, ReplicaRead) or db.served_by != "replica" or not db.age_s:
        return text
    instant = (datetime.now(UTC) - timedelta(seconds=db.age_s)).isoformat()
    return _GENERATED_AT.sub(f'"generated_at" : "{instant}"', text, count=1)


class ReplicaMiddleware:
    """Sets the read-your-writes marker when an authenticated write succeeds (before its
    answer leaves, so the caller's next read sees it), and says on every routed read who
    answered: `X-Read-From: replica|primary`, and from a replica `X-Data-Age` (seconds, an
    upper bound). Runs after the auth middleware (it reads `scope["user"]`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replicas: Replicas | None = scope["litestar_app"].state.get("replicas") if scope["type"] == "http" else None
        if replicas is None:
            await self.app(scope, receive, send)
            return
        author = replicas.author(scope.get("user")) if scope.get("method") in UNSAFE else None

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                if author is not None and message["status"] < 400:
                    await replicas.note_write(scope["litestar_app"].state.redis, author)
                read = scope.get("state", {}).get(READ_STATE_KEY)
                if isinstance(read, ReplicaRead):
                    headers = list(message.get("headers", []))
                    headers.append((b"x-read-from", read.served_by.encode()))
                    if read.served_by == "replica" and read.age_s is not None:
                        headers.append((b"x-data-age", f"{read.age_s:.1f}".encode()))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)
