"""The API and the worker through Debian's PgBouncer in transaction mode (a real pgbouncer in
front of the test database), LISTEN on DATABASE_DIRECT_URL beside it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.fixtures.auth import signed_in
from tests.replicas.conftest import database_name, environment, serve

WEB_LOGIN = "xpcore_web_test"


@pytest.fixture(scope="module")
async def web_login(pg_server_url: str, database_url: str) -> str:
    """The API's own login, as docs/migrations.md has it behind PgBouncer, with the settings
    PgBouncer cannot carry as startup parameters."""
    conn = await asyncpg.connect(database_url)
    try:
        if not await conn.fetchval("select 1 from pg_roles where rolname = $1", WEB_LOGIN):
            try:
                await conn.execute(f"create role {WEB_LOGIN} login in role xpcore_api")
            except asyncpg.DuplicateObjectError:  # another worker made it meanwhile
                pass
        await conn.execute(f"alter role {WEB_LOGIN} set statement_timeout = '15s'")
        await conn.execute(f"alter role {WEB_LOGIN} set jit = off")
    finally:
        await conn.close()
    return WEB_LOGIN


@pytest.fixture(scope="module")
async def bounced_app(test_env: dict[str, str], database_url: str, pgbouncer: Any, web_login: str) -> Any:
    from src.app import create_app
    from src.settings import load_settings

    with environment(
        DATABASE_URL=pgbouncer.url(database_name(database_url), web_login),
        DATABASE_DIRECT_URL=database_url,
        DATABASE_PGBOUNCER="true",
        DATABASE_API_ROLE="",
    ):
        return create_app(load_settings())


@pytest.fixture(scope="module")
async def bclient(bounced_app: Any) -> AsyncIterator[Any]:
    async with await serve(bounced_app) as client:
        yield client


@pytest.fixture
def worker_settings(test_env: dict[str, str], database_url: str, pgbouncer: Any) -> Any:
    """A worker's settings: the owner's login through PgBouncer, LISTEN straight to PostgreSQL."""
    from src.settings import load_settings

    with environment(
        DATABASE_URL=pgbouncer.url(database_name(database_url)),
        DATABASE_DIRECT_URL=database_url,
        DATABASE_PGBOUNCER="1",
    ):
        yield load_settings()


def test_behind_pgbouncer_no_named_statements_unless_told(test_env) -> None:
    from src.settings import load_settings

    with environment(DATABASE_PGBOUNCER="true"):
        assert load_settings().database.statement_cache_size == 0
    with environment(DATABASE_PGBOUNCER="true", DATABASE_STATEMENT_CACHE_SIZE="100"):  # PgBouncer >= 1.21
        assert load_settings().database.statement_cache_size == 100
    assert load_settings().database.statement_cache_size == 100
    with (
        environment(DATABASE_PGBOUNCER="true", DATABASE_API_ROLE="xpcore_api"),
        pytest.raises(Exception, match="API_ROLE"),
    ):
        from src.db import Database

        Database(load_settings(), role="xpcore_api")


async def test_api_flows_through_pgbouncer(bclient, bounced_app, db, api_key_factory, database_url) -> None:
    bot = await api_key_factory("xp:write")
    users = [await signed_in(db, bounced_app) for _ in range(6)]

    async def award(user: dict[str, Any], i: int) -> int:
        body = {"user": {"id": str(user["id"])}, "activity": "run_km", "units": 1, "idempotency_key": f"pgb-{i}"}
        answer = await bclient.post("/api/v1/xp/events", json=body, headers=bot)
        return int(answer.status_code)

    # concurrent awards: transaction pooling hands each call any server connection
    statuses = await asyncio.gather(*(award(users[i % len(users)], i) for i in range(60)))
    assert set(statuses) == {201}
    for user in users:
        profile = await bclient.get("/api/v1/users/me/profile", headers=user["headers"])
        assert profile.status_code == 200 and profile.json()["total_xp"] == 3000, profile.text
        public = await bclient.get(f"/api/v1/users/{user['username']}")
        assert public.status_code == 200
    board = await bclient.get("/api/v1/leaderboards/all-time", params={"limit": 100})
    assert board.status_code == 200 and {str(u["id"]) for u in users} <= {
        e["user"]["id"] for e in board.json()["entries"]
    }
    season = await bclient.get("/api/v1/seasons/current/leaderboards/reality")
    assert season.status_code == 200
    changed = await bclient.patch("/api/v1/users/me", json={"bio": "via pgbouncer"}, headers=users[0]["headers"])
    assert changed.status_code == 200 and changed.json()["bio"] == "via pgbouncer"
    assert (await bclient.get("/ready")).status_code == 200
    # they went through PgBouncer: its server connections are the web login's, runs as the API
    # role's member with the role settings applied
    async with asyncpg.create_pool(bounced_app.state.db.dsn, statement_cache_size=0, min_size=1, max_size=1) as pool:
        assert await pool.fetchval("show jit") == "off"
        assert await pool.fetchval("show statement_timeout") == "15s"
        assert await pool.fetchval("select pg_has_role('xpcore_api', 'member')")
    seen = await db.fetchval(
        "select count(*) from pg_stat_activity where usename = $1 and datname = $2",
        WEB_LOGIN,
        database_name(database_url),
    )
    assert seen >= 1


async def test_a_worker_job_runs_through_pgbouncer(
    worker_settings, bclient, bounced_app, db, api_key_factory, pgbouncer
) -> None:
    from src.db import Database
    from src.seasons import jobs

    user = await signed_in(db, bounced_app)
    bot = await api_key_factory("xp:write")
    body = {"user": {"id": str(user["id"])}, "activity": "run_km", "units": 3, "idempotency_key": uuid.uuid4().hex}
    assert (await bclient.post("/api/v1/xp/events", json=body, headers=bot)).status_code == 201
    jobs_db = Database(worker_settings)  # what a worker's context makes (src/worker/context.py)
    try:
        assert f":{pgbouncer.port}/" in jobs_db.dsn
        ctx = {"db": jobs_db}
        for _ in range(3):  # runs reuse the pool's connections, each on any server connection
            assert await jobs.rebuild_reality_board(ctx) >= 1
    finally:
        await jobs_db.close()
    mine = await bclient.get("/api/v1/seasons/current/leaderboards/reality/me", headers=user["headers"])
    assert mine.status_code == 200 and mine.json()["rank"] is not None, mine.text


async def test_the_outbox_wakeup_listens_on_the_direct_url(
    worker_settings, test_env, db, database_url, pgbouncer
) -> None:
    """LISTEN through PgBouncer in transaction mode hears nothing (the LISTEN ran on a server
    connection that went back to the pool); the worker listens on DATABASE_DIRECT_URL and is
    woken by a notification committed through PgBouncer."""
    from saq import Queue, Worker

    from src.worker import TASKS, context
    from src.worker.wakeup import listen

    class Heard:
        def __init__(self) -> None:
            self.woken = asyncio.Event()

        async def enqueue(self, name: str, **kwargs: Any) -> None:
            self.woken.set()

    async def notify_through_pgbouncer() -> None:
        conn = await asyncpg.connect(worker_settings.database.url, statement_cache_size=0)
        try:
            user = await db.fetchval(
                "insert into app.users (username) values ($1) returning id", f"w{uuid.uuid4().hex[:10]}"
            )
            await conn.fetchval("select notify.enqueue($1, 'broadcast', 'Wake', 'up')", user)
        finally:
            await conn.close()

    deaf = Heard()
    bounced = await listen(worker_settings.database.url, deaf)
    assert bounced is not None
    try:
        await notify_through_pgbouncer()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(deaf.woken.wait(), timeout=1.5)
    finally:
        await bounced.close()

    queue = Queue.from_url(test_env["REDIS_URL"], name=f"{test_env['XPCORE_QUEUE']}-pgbouncer")
    worker = Worker(queue, functions=TASKS, startup=context.startup, shutdown=context.shutdown, concurrency=1)
    from src.settings import get_settings

    get_settings.cache_clear()
    with environment(
        DATABASE_URL=str(worker_settings.database.url), DATABASE_DIRECT_URL=database_url, DATABASE_PGBOUNCER="true"
    ):
        await context.startup(worker.context)
    try:
        listener = worker.context["listener"]
        assert listener is not None and listener._addr[1] != pgbouncer.port  # straight to PostgreSQL
        assert str(pgbouncer.port) in worker.context["db"].dsn  # the jobs' pool goes through PgBouncer
        started = int(time.time())
        await notify_through_pgbouncer()
        deadline = time.monotonic() + 5
        found = None
        while found is None and time.monotonic() < deadline:
            for second in range(started - 1, int(time.time()) + 2):
                found = found or await queue.job(f"deliver-pushes-{second}")
            await asyncio.sleep(0.1)
        assert found is not None, "the notification queued no delivery"
    finally:
        await context.shutdown(worker.context)
        await queue.disconnect()
        get_settings.cache_clear()
