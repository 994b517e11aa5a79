"""Test fixtures on real servers.

Postgres: `DATABASE_URL` if set, else testcontainers when a Docker engine answers, else the
embedded server under `.xpcore/test/`. The real migrations run once into a template database
(named by a hash of the migrations, rebuilt only when they change) and every xdist worker
clones its own database from it. SQL tests get a connection inside a transaction that is
rolled back; API tests talk HTTP to the app bound to the worker's database.
Redis: `REDIS_URL` if set, else testcontainers, else embedded Valkey; one logical db per worker.

The embedded servers start once per run, when the first test needs them: a file lock lets one
xdist worker start each while the others wait and attach. The session process (the xdist
controller, or the only process without xdist) stops, at the end of the run, those that were
not running before it; servers that were already running are left running (`make down`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from src.embedded import with_database
from src.settings import ROOT, STATE_DIR, normalize_database_url

TEST_STATE = STATE_DIR / "test"

# Shared fixtures of each area live in tests/fixtures/<area>.py and are listed here.
pytest_plugins: list[str] = ["tests.fixtures.auth"]


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


_containers: list[Any] = []

_embedded_key = pytest.StashKey[dict[str, bool]]()  # server -> it ran before this run


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """In the session process: note which embedded test servers already run. The first test
    that needs one starts it (`ensure_postgres`/`ensure_valkey` take a file lock, so of all
    the xdist workers one starts it and the others attach), and a run that needs none starts
    none."""
    if _is_worker(config) or (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        return
    from src import embedded

    config.stash[_embedded_key] = {
        "valkey": embedded.valkey_running(TEST_STATE),
        "postgres": embedded.postgres_running(TEST_STATE),
    }


def pytest_unconfigure(config: pytest.Config) -> None:
    """In the session process, after every worker has finished: stop the embedded test servers
    this run started; leave (and name) those that ran before it."""
    if _is_worker(config) or _embedded_key not in config.stash:
        return
    from src import embedded

    running = {"valkey": embedded.valkey_running(TEST_STATE), "postgres": embedded.postgres_running(TEST_STATE)}
    before = config.stash[_embedded_key]
    if running["valkey"] and not before["valkey"]:
        embedded.stop_valkey(TEST_STATE)
    if running["postgres"] and not before["postgres"]:
        embedded.stop_postgres(TEST_STATE)
    left = [name for name, was in before.items() if was and running[name]]
    if left:
        print(
            f"\nembedded {' and '.join(left)} under {TEST_STATE} ran before this test run and still run"
            " (`make down` stops them)",
            file=sys.stderr,
        )


def _postgres_server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalize_database_url(url)
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None).start()
        _containers.append(container)
        return normalize_database_url(container.get_connection_url())
    from src.embedded import ensure_postgres

    TEST_STATE.mkdir(parents=True, exist_ok=True)
    return ensure_postgres(TEST_STATE)


def _redis_server_url() -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    if _docker_answers():
        from testcontainers.redis import RedisContainer

        container = RedisContainer("redis:7-alpine").start()
        _containers.append(container)
        return f"redis://{container.get_container_host_ip()}:{container.get_exposed_port(6379)}/0"
    from src.embedded import ensure_valkey

    TEST_STATE.mkdir(parents=True, exist_ok=True)
    return ensure_valkey(TEST_STATE)


def migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    sources = [*sorted((ROOT / "db" / "migrations").rglob("*.py")), *sorted((ROOT / "db" / "functions").rglob("*.sql"))]
    for path in [*sources, ROOT / "db" / "after_migrate.sql", ROOT / "src" / "migrations.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    """Run the real migrations (the same env.py the CLI uses) against `url`."""
    from alembic import command
    from alembic.config import Config

    from src.migrations import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    (command.downgrade if down else command.upgrade)(config, revision)


async def _admin(server_url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def _retire_seeded_achievements(url: str) -> None:
    """The shipped achievements (engage.seed) would unlock, notify and credit coins in every test
    that awards XP; the template keeps them inactive, and tests/engagement turn on what they use."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("update engage.achievements set active = false")
    finally:
        await conn.close()


def _build_template(server_url: str) -> str:
    name = f"xpcore_tpl_{migrations_fingerprint()}"

    async def locked() -> None:
        conn = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            await conn.execute("select pg_advisory_lock(hashtext('xpcore-test-template'))")
            exists = await conn.fetchval("select 1 from pg_database where datname = $1 and datistemplate", name)
            if not exists:
                await conn.execute(f'drop database if exists "{name}"')
                await conn.execute(f'create database "{name}"')
                await asyncio.to_thread(migrate, with_database(server_url, name))
                await _retire_seeded_achievements(with_database(server_url, name))
                await conn.execute(f'alter database "{name}" with is_template true allow_connections false')
        finally:
            await conn.execute("select pg_advisory_unlock(hashtext('xpcore-test-template'))")
            await conn.close()

    asyncio.run(locked())
    return name


def clone_database(server_url: str, template: str, name: str) -> str:
    async def clone() -> None:
        conn = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            # Clones are serialised: CREATE DATABASE refuses a template another one is copying.
            await conn.execute("select pg_advisory_lock(hashtext('xpcore-test-template'))")
            await conn.execute(f'drop database if exists "{name}" with (force)')
            await conn.execute(f'create database "{name}" template "{template}"')
        finally:
            await conn.execute("select pg_advisory_unlock(hashtext('xpcore-test-template'))")
            await conn.close()

    asyncio.run(clone())
    return with_database(server_url, name)


@pytest.fixture(scope="session")
def worker_name(request: pytest.FixtureRequest) -> str:
    """Unique per worker and per run, so concurrent runs on one server never share a database."""
    workerinput = getattr(request.config, "workerinput", {})
    run = workerinput.get("testrunuid", uuid.uuid4().hex)[:8]
    return f"{workerinput.get('workerid', 'main')}_{run}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    yield _postgres_server_url()
    for container in _containers:
        container.stop()


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> str:
    return _build_template(pg_server_url)


@pytest.fixture(scope="session")
def database_url(pg_server_url: str, template_db: str, worker_name: str) -> Iterator[str]:
    name = f"xpcore_test_{worker_name}"
    yield clone_database(pg_server_url, template_db, name)
    asyncio.run(_admin(pg_server_url, f'drop database if exists "{name}" with (force)'))


@pytest.fixture(scope="session")
def redis_url(worker_name: str) -> str:
    base = _redis_server_url().rsplit("/", 1)[0]
    index = 1 + (int(worker_name[2:].split("_")[0]) if worker_name.startswith("gw") else 14) % 15
    return f"{base}/{index}"


@contextmanager
def app_environment(database_url: str, redis_url: str, worker_name: str) -> Iterator[dict[str, str]]:
    """os.environ set to what the app under test reads its settings from, restored after."""
    env = {
        "XPCORE_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "XPCORE_QUEUE": f"xpcore-test-{worker_name}",
        "REDIS_KEY_PREFIX": f"xpcore-test-{worker_name}",
        # every test client request comes from one address; tests of the per-IP limit set it back
        "OTP_MAX_PER_IP": "100000",
        "LOG_LEVEL": "WARNING",
        "XPCORE_SECRET_KEY": "test-secret-key-not-for-production",
        "XPCORE_STATE_DIR": str(TEST_STATE),
        "COOKIE_SECURE": "false",  # the test client speaks plain http
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    from src.settings import get_settings

    get_settings.cache_clear()
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def test_env(database_url: str, redis_url: str, worker_name: str) -> Iterator[dict[str, str]]:
    """The environment the app under test reads its settings from."""
    with app_environment(database_url, redis_url, worker_name) as env:
        yield env


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process; a test that changed the environment must not leak
    its settings (say, a stopped embedded server) into the next test."""
    from src.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def app(test_env: dict[str, str]):  # type: ignore[no-untyped-def]
    from src.app import create_app
    from src.settings import load_settings

    return create_app(load_settings())


@pytest.fixture(scope="session")
async def client(app) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def db(test_env: dict[str, str]) -> AsyncIterator[Any]:
    """A `src.db.Database` on the worker database in the tests' own event loop (the app under
    the test client runs in another loop, so tests never borrow `app.state.db`)."""
    from src.db import Database
    from src.settings import load_settings

    database = Database(load_settings())
    yield database
    await database.close()


@pytest.fixture(scope="session")
async def queue(test_env: dict[str, str]) -> AsyncIterator[Any]:
    """The app's SAQ queue, opened in the tests' event loop."""
    from saq import Queue

    saq_queue = Queue.from_url(test_env["REDIS_URL"], name=test_env["XPCORE_QUEUE"])
    yield saq_queue
    await saq_queue.disconnect()


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    from src.db import _init_connection

    connection = await asyncpg.connect(database_url)
    await _init_connection(connection)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the worker database, for concurrency tests that need many connections."""
    from src.db import _init_connection

    pool = await asyncpg.create_pool(database_url, min_size=0, max_size=40, init=_init_connection)
    try:
        yield pool
    finally:
        await pool.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if "sql" in path.parts:
            item.add_marker(pytest.mark.sql)
