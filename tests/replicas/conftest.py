"""Fixtures of tests/replicas: a real streaming replica of the test server, and PgBouncer."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fixtures.pgservers import PgBouncer, ReplicaCluster, pgbouncer_missing, replica_binaries_missing


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """os.environ with `values` set, restored after (settings are read from it)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@pytest.fixture(scope="module")
async def replica(pg_server_url: str, database_url: str) -> AsyncIterator[ReplicaCluster]:
    """A hot standby of the whole test server, made with `pg_basebackup -R` (about half a
    minute on a server holding benchmark databases), streaming from it."""
    missing = replica_binaries_missing()
    if missing:
        pytest.skip(missing)
    cluster = ReplicaCluster(pg_server_url)
    try:
        await cluster.create()
        yield cluster
    finally:
        await cluster.remove()


@pytest.fixture(scope="module")
async def pgbouncer(pg_server_url: str, database_url: str) -> AsyncIterator[PgBouncer]:
    missing = pgbouncer_missing()
    if missing:
        pytest.skip(missing)
    bouncer = PgBouncer(pg_server_url, users=("postgres", "xpcore_web_test"))
    await bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


async def serve(app: Any) -> Any:
    from litestar.testing import AsyncTestClient

    return AsyncTestClient(app=app, base_url="http://testserver.local")
