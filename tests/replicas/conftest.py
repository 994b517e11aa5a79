"""Fixtures of tests/replicas: a private small primary cluster holding a copy of the worker's test
database, a real streaming replica of it, and PgBouncer in front of the test server."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fixtures.pgservers import (
    PgBouncer,
    PrivatePrimary,
    ReplicaCluster,
    pgbouncer_missing,
    replica_binaries_missing,
)


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
async def private_primary(pg_server_url: str, database_url: str) -> AsyncIterator[PrivatePrimary]:
    """A small private primary cluster of this module's own (initdb on a free port, wal_level =
    replica), holding a copy of the test server's roles (`pg_dumpall --globals-only`) and of the
    worker's test database only (`pg_dump -Fc | pg_restore`, same name): the replica is made from
    it in seconds instead of copying every database of the shared server (benchmark databases
    made that minutes). Stopped and removed after the module.

    `database_url` here is the shared server's worker database (tests/conftest.py), even where a
    module overrides `database_url` to point at this cluster: an override asking for its own name
    gets the fixture it overrides."""
    missing = replica_binaries_missing()
    if missing:
        pytest.skip(missing)
    primary = PrivatePrimary(pg_server_url)
    try:
        started = time.monotonic()
        await primary.create()
        await asyncio.to_thread(primary.copy_roles)
        await asyncio.to_thread(primary.copy_database, database_name(database_url))
        primary.made_in_s = time.monotonic() - started
        yield primary
    finally:
        primary.remove()


@pytest.fixture(scope="module")
async def replica(private_primary: PrivatePrimary) -> AsyncIterator[ReplicaCluster]:
    """A hot standby of the private primary (not of the shared test server), made with
    `pg_basebackup -R` through a physical slot, streaming from it. Stopped and removed after the
    module, before the primary."""
    cluster = ReplicaCluster(private_primary.url("postgres"))
    try:
        started = time.monotonic()
        await cluster.create()
        print(
            f"\nprivate primary made in {private_primary.made_in_s:.1f}s,"
            f" its replica in {time.monotonic() - started:.1f}s",
            file=sys.stderr,
        )
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
