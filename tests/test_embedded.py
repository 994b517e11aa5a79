"""The zero-config path: embedded PostgreSQL and Valkey, migrated, and the app ready on them."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from src import embedded
from tests.conftest import migrate

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_embedded_servers_start_reattach_migrate_and_serve_ready(monkeypatch) -> None:
    from litestar.testing import TestClient

    state = Path(tempfile.mkdtemp(prefix="xpe-", dir="/tmp"))
    try:
        server = embedded.ensure_postgres(state)
        assert embedded.ensure_postgres(state) == server  # re-attached, not restarted
        database = embedded.ensure_database(server, "xpcore")
        redis_url = embedded.ensure_valkey(state)
        assert embedded.ensure_valkey(state) == redis_url
        migrate(database)

        monkeypatch.setenv("DATABASE_URL", database)
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("XPCORE_ENV", "test")
        from src.app import create_app
        from src.settings import load_settings

        with TestClient(app=create_app(load_settings())) as client:
            response = client.get("/ready")
            assert response.status_code == 200, response.text

            # After a Postgres restart the pool reconnects by itself: no restart of the app.
            embedded.stop_postgres(state)
            assert client.get("/ready").status_code == 503
            embedded.ensure_postgres(state)
            statuses = [client.get("/ready").status_code for _ in range(3)]
            assert statuses[-1] == 200, statuses
    finally:
        embedded.stop_all(state)
    assert not (state / "pgdata" / "postmaster.pid").exists()

    async def redis_down() -> bool:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url, socket_connect_timeout=0.5)
        try:
            await client.ping()
            return False
        except Exception:
            return True
        finally:
            await client.aclose()

    assert asyncio.run(redis_down())
