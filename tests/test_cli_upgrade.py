"""`xpcore database upgrade` on an empty database, through the real CLI, then /ready is at head."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from src.embedded import with_database
from src.settings import ROOT
from tests.conftest import _admin


def test_cli_upgrade_on_an_empty_database_then_ready(pg_server_url: str, redis_url: str, worker_name: str) -> None:
    from litestar.testing import TestClient

    name = f"xpcore_cli_{worker_name}"
    asyncio.run(_admin(pg_server_url, f'drop database if exists "{name}" with (force)'))
    asyncio.run(_admin(pg_server_url, f'create database "{name}"'))
    url = with_database(pg_server_url, name)
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, XPCORE_ENV="test", LOG_LEVEL="WARNING")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "src.cli", "database", "upgrade", "--no-prompt"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]

        from src.app import create_app
        from src.settings import load_settings

        saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "REDIS_URL")}
        os.environ.update(DATABASE_URL=url, REDIS_URL=redis_url)
        try:
            app = create_app(load_settings())
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        with TestClient(app=app) as client:
            response = client.get("/ready")
        assert response.status_code == 200, response.text
        assert response.json()["migrations"] == f"ok (at head {app.state.migration_head})"
    finally:
        asyncio.run(_admin(pg_server_url, f'drop database if exists "{name}" with (force)'))
