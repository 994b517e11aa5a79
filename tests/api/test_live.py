"""Live updates over Server-Sent Events on a real server (uvicorn in a thread of this process, on
the worker's test database): a notification arrives on the user's stream, a published snapshot
on the board stream and as a rank change, and 50 streams share the process's one LISTEN
connection."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import msgspec
import pytest

from src.live.answers import BoardTop, RankChange, StreamReady, StreamResync
from src.live.hub import APPLICATION_NAME, QUEUE_MAX, RESYNC_LISTENER, RESYNC_OVERFLOW, Event, Subscriber
from src.notifications.answers import Notification
from tests.fixtures.auth import signed_in
from tests.test_schemathesis import _free_port


class Server:
    def __init__(self, app: Any, base: str) -> None:
        self.app, self.base = app, base


@pytest.fixture(scope="module")
def live_server(test_env: dict[str, str]) -> Iterator[Server]:
    import uvicorn

    from src.app import create_app
    from src.settings import load_settings

    app = create_app(load_settings())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-uvicorn", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the live server did not start")
    yield Server(app, base)
    server.should_exit = True
    thread.join(15)


class Stream:
    """An open SSE stream: `next()` answers (event, data) of the next event, comments skipped."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, within: float = 10) -> tuple[str, Any]:
        async def read() -> tuple[str, Any]:
            name, data = "message", []
            async for line in self.lines:
                if line == "":
                    if data:
                        return name, json.loads("\n".join(data))
                    name = "message"
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), within)

    async def until(self, event: str, within: float = 10) -> Any:
        deadline = time.monotonic() + within
        while True:
            name, data = await self.next(max(0.1, deadline - time.monotonic()))
            if name == event:
                return data


def _shaped(data: Any, shape: Any) -> None:
    """The event's data is exactly its documented Struct (unknown keys fail)."""
    msgspec.convert(data, shape, strict=False)


async def _open(client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> Stream:
    request = client.build_request("GET", path, headers=headers or {})
    response = await client.send(request, stream=True)
    assert response.status_code == 200, await response.aread()
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = Stream(response)
    ready = await stream.until("ready")
    assert ready["heartbeat_s"] == 15
    _shaped(ready, StreamReady)
    return stream


@pytest.fixture
async def http(live_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.base, timeout=httpx.Timeout(20, read=None)) as client:
        yield client


async def test_a_notification_arrives_on_the_users_stream(http, live_server, db) -> None:
    me = await signed_in(db, live_server.app)
    other = await signed_in(db, live_server.app)
    stream = await _open(http, "/api/v1/users/me/events", me["headers"])
    try:
        await db.fetchval("select notify.enqueue($1, 'broadcast', 'Not yours', 'b')", other["id"])
        sent = await db.fetchval("select notify.enqueue($1, 'broadcast', 'Live hello', 'body', '{\"x\": 1}')", me["id"])
        item = await stream.until("notification")
        assert item["id"] == sent and item["title"] == "Live hello" and item["kind"] == "broadcast"
        assert item["data"] == {"x": 1} and item["read_at"] is None
        _shaped(item, Notification)
        # a batch writer (one NOTIFY for many rows) reaches the stream too
        broadcast = await db.fetchval("select notify.broadcast_create(null, 'To all', 'everyone', '{}')")
        await db.fetchval("select notify.broadcast_batch($1, 100000)", broadcast)
        mass = await stream.until("notification")
        assert mass["title"] == "To all" and mass["id"] > sent
    finally:
        await stream.response.aclose()


async def test_streams_need_a_user_and_a_known_board(http) -> None:
    assert (await http.get("/api/v1/users/me/events")).status_code == 401
    answer = await http.get("/api/v1/seasons/current/leaderboards/nope/stream")
    assert answer.status_code == 404 and answer.json()["code"] == "seasons.unknown_board"
    assert (await http.get("/api/v1/seasons/2020-01/leaderboards/reality/stream")).status_code == 400
    assert (await http.get("/api/v1/seasons/current/leaderboards/reality/stream?limit=101")).status_code == 400


async def _award(db: Any, user_id: Any, xp_units: float) -> None:
    from datetime import UTC, datetime

    season = datetime.now(UTC).strftime("%Y-%m")
    await db.execute(
        "insert into xp.seasons (id, starts_at, ends_at, status)"
        " values ($1, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC',"
        " (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC', 'active')"
        " on conflict (id) do nothing",
        season,
    )
    await db.execute(
        "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, 'reality', $2, $3, now())"
        " on conflict (season_id, mode, user_id) do update set xp = excluded.xp, reached_at = now()",
        season,
        user_id,
        int(xp_units),
    )


async def test_a_published_snapshot_reaches_the_board_and_the_users_rank(http, live_server, db) -> None:
    from datetime import UTC, datetime

    season = datetime.now(UTC).strftime("%Y-%m")
    me = await signed_in(db, live_server.app)
    top = await db.fetchval(
        "select coalesce(max(xp), 0) from xp.season_scores where season_id = $1 and mode = 'reality'", season
    )
    await _award(db, me["id"], top + 1_000_000)  # first on the board
    board = await _open(http, "/api/v1/seasons/current/leaderboards/reality/stream?limit=3")
    mine = await _open(http, "/api/v1/users/me/events", me["headers"])
    try:
        await db.fetchval("select xp.rebuild_board($1, 'reality')", season)
        generation = await db.fetchval(
            "select generation from xp.rank_generations where season_id = $1 and mode = 'reality'", season
        )
        published = await board.until("board")
        assert published["generation"] == generation and published["mode"] == "reality"
        assert published["season"]["id"] == season and len(published["entries"]) <= 3
        assert published["entries"][0]["user"]["id"] == str(me["id"]) and published["entries"][0]["rank"] == 1
        _shaped(published, BoardTop)
        rank = await mine.until("rank")
        _shaped(rank, RankChange)
        assert rank == {
            "season_id": season,
            "mode": "reality",
            "rank": 1,
            "xp": top + 1_000_000,
            "generation": generation,
            "generated_at": rank["generated_at"],
        }
        # the next snapshot with an unchanged rank sends no rank event, the board still gets it
        await db.fetchval("select xp.rebuild_board($1, 'reality')", season)
        assert (await board.until("board"))["generation"] > generation
        await db.fetchval("select notify.enqueue($1, 'broadcast', 'after', 'b')", me["id"])
        assert (await mine.next())[0] == "notification"  # no second `rank` came before it
    finally:
        await board.response.aclose()
        await mine.response.aclose()


async def test_fifty_streams_share_one_listen_connection(http, live_server, db) -> None:
    users = [await signed_in(db, live_server.app) for _ in range(25)]
    hub = live_server.app.state.live
    before = hub.streams
    streams = [await _open(http, "/api/v1/users/me/events", u["headers"]) for u in users]
    streams += [
        await _open(http, f"/api/v1/seasons/current/leaderboards/cyber/stream?limit={n + 1}") for n in range(25)
    ]
    try:
        assert hub.streams == before + 50
        listeners = await db.fetch(
            "select pid, query from pg_stat_activity where datname = current_database() and application_name = $1",
            APPLICATION_NAME,
        )
        assert len(listeners) == 1, listeners
        assert listeners[0]["query"].lower().startswith("listen")
        # every stream is live on it: one enqueue per user, all arrive
        for u in users:
            await db.fetchval("select notify.enqueue($1, 'broadcast', 'fan', 'out')", u["id"])
        for stream, u in zip(streams, users, strict=False):
            assert (await stream.until("notification"))["title"] == "fan", u["id"]
    finally:
        for stream in streams:
            await stream.response.aclose()
    deadline = time.monotonic() + 10
    while hub.streams != before and time.monotonic() < deadline:  # disconnects unsubscribe
        await asyncio.sleep(0.05)
    assert hub.streams == before
    assert str(users[0]["id"]) not in hub.by_user


def test_a_slow_stream_is_told_to_resync_instead_of_growing() -> None:
    async def go() -> list[Event]:
        subscriber = Subscriber(user_id=str(uuid.uuid4()))
        accepted = [subscriber.offer(Event("notification", "{}", n)) for n in range(QUEUE_MAX + 5)]
        assert accepted.index(False) == QUEUE_MAX and accepted.count(False) == 1
        return [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]

    for resync in (RESYNC_OVERFLOW, RESYNC_LISTENER):
        _shaped(json.loads(resync.data), StreamResync)
    queued = asyncio.run(go())
    # the overflow dropped the unread events for one resync; what came after it follows
    assert [e.name for e in queued] == ["resync", *["notification"] * 4]
    assert [e.id for e in queued[1:]] == [QUEUE_MAX + 1, QUEUE_MAX + 2, QUEUE_MAX + 3, QUEUE_MAX + 4]
