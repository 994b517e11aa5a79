"""A cron tick runs once however many workers enqueue it (src/platform/cron.py)."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from src.platform.cron import once_per_tick
from src.settings import SettingsError, load_settings
from src.worker import schedule


async def test_a_tick_claimed_by_one_worker_is_skipped_by_the_next(test_env, db) -> None:
    runs: list[int] = []

    async def job(ctx: Any) -> int:
        runs.append(1)
        return len(runs)

    job.__qualname__ = f"test_job_{uuid.uuid4().hex[:8]}"
    wrapped = once_per_tick(job)
    tick = int(time.time())

    def ctx(key: str, attempts: int = 1, scheduled: int = tick) -> dict[str, Any]:
        return {"db": db, "job": SimpleNamespace(key=key, scheduled=scheduled, attempts=attempts)}

    assert await wrapped(ctx("cron:x")) == 1
    assert await wrapped(ctx("cron:x")) is None  # the same tick again (another worker): skipped
    assert await wrapped(ctx("cron:x", attempts=2)) == 2  # SAQ's retry of the claimed run runs
    assert await wrapped(ctx("cron:x", scheduled=tick + 5)) == 3  # the next tick runs
    assert await wrapped(ctx("by-hand")) == 4  # not a cron tick: always runs
    assert await wrapped({"db": db}) == 5  # called directly (tests, the CLI)
    rows = await db.fetch("select tick from app.cron_runs where job = $1 order by tick", job.__qualname__)
    assert len(rows) == 2


def test_tests_may_run_every_cron_job_every_few_seconds(monkeypatch) -> None:
    assert all(not j.cron.endswith("*/2") for j in schedule())
    assert all(j.cron == "* * * * * */2" and j.unique for j in schedule(every_s=2))
    monkeypatch.setenv("XPCORE_CRON_EVERY_S", "2")
    assert load_settings().cron_every_s == 2
    production = {
        "XPCORE_ENV": "production",
        "JWT_PRIVATE_KEY": "set",
        "XPCORE_SECRET_KEY": "set",
        "EMAIL_BACKEND": "ses",
        "COOKIE_SECURE": "true",
    }
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="XPCORE_CRON_EVERY_S"):
        load_settings()
    monkeypatch.delenv("XPCORE_CRON_EVERY_S")
    assert load_settings().cron_every_s == 0


def test_the_direct_url_defaults_to_the_database_url(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example:5432/x")
    monkeypatch.delenv("DATABASE_DIRECT_URL", raising=False)
    assert load_settings().database_direct_url == "postgresql://u@db.example:5432/x"
    monkeypatch.setenv("DATABASE_DIRECT_URL", "postgresql://u@primary.example:5432/x")
    assert load_settings().database_direct_url == "postgresql://u@primary.example:5432/x"
