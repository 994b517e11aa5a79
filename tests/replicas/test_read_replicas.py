"""Read replicas on a real streaming replica: routing, reading one's own writes from the primary,
skipping a lagging replica, a replica killed mid-run.

The primary here is not the shared test server but a private small cluster holding a copy of its
roles and of the worker's test database only (tests/replicas/conftest.py `private_primary`), and
the replica is a `pg_basebackup -R` of that: seconds to make, not minutes. This module overrides
`database_url`, `test_env` and `db` so the app under test and the tests' own connections use the
private primary (DATABASE_URL) and the replica (DATABASE_REPLICA_URLS)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.conftest import app_environment
from tests.fixtures.auth import signed_in
from tests.replicas.conftest import database_name, environment, serve

MAX_LAG_S = 4


@pytest.fixture(scope="module")
def database_url(database_url: str, private_primary: Any) -> str:
    """The worker's test database on the private primary (`database_url` asked for here is the
    shared server's, which `private_primary` copied)."""
    return str(private_primary.url(database_name(database_url)))


@pytest.fixture(scope="module")
def test_env(database_url: str, redis_url: str, worker_name: str) -> Iterator[dict[str, str]]:
    """The app's environment with DATABASE_URL on the private primary, for this module only."""
    with app_environment(database_url, redis_url, worker_name) as env:
        yield env


@pytest.fixture(scope="module")
async def db(test_env: dict[str, str]) -> AsyncIterator[Any]:
    """A `src.db.Database` on the private primary's test database, in the tests' event loop."""
    from src.db import Database
    from src.settings import load_settings

    database = Database(load_settings())
    yield database
    await database.close()


@pytest.fixture(scope="module")
async def replica_app(test_env: dict[str, str], database_url: str, replica: Any) -> Any:
    """The app with DATABASE_URL on the private primary and DATABASE_REPLICA_URLS on its replica."""
    from src.app import create_app
    from src.settings import load_settings

    with environment(
        DATABASE_REPLICA_URLS=replica.url(database_name(database_url)), DATABASE_REPLICA_MAX_LAG_S=str(MAX_LAG_S)
    ):
        return create_app(load_settings())


@pytest.fixture(scope="module")
async def rclient(replica_app: Any) -> AsyncIterator[Any]:
    async with await serve(replica_app) as client:
        yield client


async def until(predicate: Any, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def node(app: Any) -> Any:
    return app.state.replicas.nodes[0]


async def caught_up(app: Any, replica: Any, database_url: str) -> None:
    # replay is one process: on a server busy with other databases' bulk loads it can trail
    await replica.wait_replayed(database_url)
    await until(lambda: node(app).healthy, timeout=60, what="the replica to be in use")


async def test_read_only_endpoints_are_served_by_the_replica(
    rclient, replica_app, replica, private_primary, db, database_url
) -> None:
    # the app, the tests' own connections and the replica's WAL all use the private primary
    assert replica_app.state.settings.database.url == database_url == private_primary.url(database_name(database_url))
    assert await db.fetchval("select inet_server_port()") == private_primary.port
    reader = await signed_in(db, replica_app)
    await caught_up(replica_app, replica, database_url)
    assert await replica.sql("select sender_port from pg_stat_wal_receiver") == private_primary.port
    public = [
        "/api/v1/seasons",
        "/api/v1/seasons/current",
        "/api/v1/seasons/current/leaderboards/reality",
        "/api/v1/leaderboards/all-time",
        f"/api/v1/users/{reader['username']}",
        f"/api/v1/users/{reader['username']}/achievements",
        "/api/v1/store/items",
        "/api/v1/store/coin-packs",
        "/api/v1/leagues/reality/tiers",
        "/api/v1/levels",
        "/api/v1/layers",
        "/api/v1/activities",
    ]
    signed = ["/api/v1/challenges", "/api/v1/store/items"]
    for path, headers in [*((p, {}) for p in public), *((p, reader["headers"]) for p in signed)]:
        answer = await rclient.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["x-read-from"] == "replica", path
        assert float(answer.headers["x-data-age"]) <= MAX_LAG_S, path
    # the replica's own view: the app's pool is connected there, to the test database
    connected = await replica.sql(
        f"select count(*) from pg_stat_activity where application_name = 'xpcore'"
        f" and datname = '{database_name(database_url)}'"
    )
    assert connected >= 1
    # a board answered by the replica dates itself no later than now
    board = (await rclient.get("/api/v1/leaderboards/all-time")).json()
    assert board["generated_at"]
    # a write and an endpoint not routed stay on the primary, and say nothing
    assert "x-read-from" not in (await rclient.get("/api/v1/users/me", headers=reader["headers"])).headers


async def test_a_callers_reads_right_after_their_write_go_to_the_primary(
    rclient, replica_app, replica, db, database_url
) -> None:
    writer = await signed_in(db, replica_app)
    bystander = await signed_in(db, replica_app)
    await caught_up(replica_app, replica, database_url)
    await replica.sql("select pg_wal_replay_pause()")
    try:
        name = f"new {uuid.uuid4().hex[:6]}"
        changed = await rclient.patch("/api/v1/users/me", json={"display_name": name}, headers=writer["headers"])
        assert changed.status_code == 200
        own = await rclient.get(f"/api/v1/users/{writer['username']}", headers=writer["headers"])
        assert own.headers["x-read-from"] == "primary" and own.json()["display_name"] == name
        # someone else, within the lag allowed, reads the paused replica: the old name
        other = await rclient.get(f"/api/v1/users/{writer['username']}", headers=bystander["headers"])
        assert other.headers["x-read-from"] == "replica" and other.json()["display_name"] != name
    finally:
        await replica.sql("select pg_wal_replay_resume()")


async def test_a_replica_lagging_past_the_limit_is_skipped_and_used_again_once_caught_up(
    rclient, replica_app, replica, db, database_url
) -> None:
    await caught_up(replica_app, replica, database_url)
    # idle or not, a replica that keeps up stays in use well past the lag limit
    await asyncio.sleep(MAX_LAG_S + 1.5)
    assert node(replica_app).healthy and node(replica_app).age_s < MAX_LAG_S
    await replica.sql("select pg_wal_replay_pause()")
    try:
        username = f"lag{uuid.uuid4().hex[:10]}"
        await db.execute("insert into app.users (username) values ($1)", username)
        lagging = await rclient.get(f"/api/v1/users/{username}")
        assert lagging.headers["x-read-from"] == "replica" and lagging.status_code == 404  # not there yet
        await until(lambda: not node(replica_app).healthy, timeout=MAX_LAG_S + 5, what="the replica to be skipped")
        answer = await rclient.get(f"/api/v1/users/{username}")
        assert answer.status_code == 200 and answer.headers["x-read-from"] == "primary"
    finally:
        await replica.sql("select pg_wal_replay_resume()")
    await caught_up(replica_app, replica, database_url)
    answer = await rclient.get(f"/api/v1/users/{username}")
    assert answer.status_code == 200 and answer.headers["x-read-from"] == "replica"


async def test_a_replica_killed_mid_run_never_fails_a_read(rclient, replica_app, replica, db, database_url) -> None:
    reader = await signed_in(db, replica_app)
    await caught_up(replica_app, replica, database_url)
    paths = ["/api/v1/leaderboards/all-time", f"/api/v1/users/{reader['username']}", "/api/v1/seasons"]
    statuses: list[int] = []
    sources: list[str] = []
    # the kill comes from another thread, half a second into a 3 s run of back-to-back reads
    killer = threading.Timer(0.5, replica.stop, args=("immediate",))
    killer.start()
    deadline = time.monotonic() + 3
    i = 0
    while time.monotonic() < deadline:
        answer = await rclient.get(paths[i % len(paths)])
        statuses.append(answer.status_code)
        sources.append(answer.headers.get("x-read-from", ""))
        i += 1
        await asyncio.sleep(0)
    killer.join()
    try:
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        assert "replica" in sources and sources[-1] == "primary"
        assert not node(replica_app).healthy
    finally:
        await replica.start()
    await caught_up(replica_app, replica, database_url)
    assert (await rclient.get("/api/v1/seasons")).headers["x-read-from"] == "replica"
