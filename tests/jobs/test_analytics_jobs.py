"""The analytics refresh job: every materialized view refreshed, one at a time, skipped while
another refresh of it runs; a unique cron whose cadence is ANALYTICS_REFRESH_CRON."""

from __future__ import annotations

import logging

import pytest

from src.analytics.jobs import refresh_analytics
from src.settings import load_settings
from src.worker import schedule

MATVIEWS = {"daily_xp", "layer_distribution", "level_distribution", "user_growth"}


async def test_the_job_refreshes_every_matview_and_logs_how_long(test_env, db_pool, caplog) -> None:
    await db_pool.execute("insert into app.users (username) values ('mvjob' || floor(random() * 1e9)::bigint)")
    await db_pool.fetchval("select analytics.refresh('user_growth')")
    before = await db_pool.fetchval("select max(refreshed_at) from analytics.user_growth")
    caplog.set_level(logging.INFO, logger="xpcore.analytics")
    taken = await refresh_analytics({})
    assert set(taken) == MATVIEWS and all(ms is not None and ms >= 0 for ms in taken.values())
    assert await db_pool.fetchval("select max(refreshed_at) from analytics.user_growth") > before
    assert any("analytics.daily_xp refreshed in" in r.getMessage() for r in caplog.records)


async def test_a_view_another_session_is_refreshing_is_skipped(test_env, db_pool, caplog) -> None:
    async with db_pool.acquire() as holder:
        key = await holder.fetchval("select 'analytics.level_distribution'::regclass::oid::integer")
        await holder.execute("select pg_advisory_lock(hashtext('analytics.refresh'), $1)", key)
        try:
            caplog.set_level(logging.INFO, logger="xpcore.analytics")
            taken = await refresh_analytics({})
        finally:
            await holder.execute("select pg_advisory_unlock(hashtext('analytics.refresh'), $1)", key)
    assert taken["level_distribution"] is None
    assert all(taken[v] is not None for v in MATVIEWS - {"level_distribution"})
    assert any("level_distribution not refreshed" in r.getMessage() for r in caplog.records)


def _refresh_jobs(monkeypatch: pytest.MonkeyPatch, cron: str | None) -> list:  # type: ignore[type-arg]
    if cron is None:
        monkeypatch.delenv("ANALYTICS_REFRESH_CRON", raising=False)
    else:
        monkeypatch.setenv("ANALYTICS_REFRESH_CRON", cron)
    return [j for j in schedule(load_settings()) if j.function is refresh_analytics]


def test_the_refresh_is_a_unique_cron_every_five_minutes_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    (job,) = _refresh_jobs(monkeypatch, None)
    assert job.cron == "*/5 * * * *" and job.unique and job.timeout and job.retries
    (job,) = _refresh_jobs(monkeypatch, "*/20 * * * *")
    assert job.cron == "*/20 * * * *"
    assert _refresh_jobs(monkeypatch, "off") == []
