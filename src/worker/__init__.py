"""The SAQ worker: queue, tasks and cron schedule. The jobs live with their area
(`src/<area>/jobs.py`); this module lists them. Every job sets its own timeout and retries
(SAQ's defaults are 10 s and none); cron jobs are unique in SAQ and claim their tick in the
database, so two workers never run the same tick (src/platform/cron.py)."""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar_saq import CronJob, QueueConfig, SAQConfig, SAQPlugin

from src.analytics.jobs import REFRESH_TIMEOUT_S, refresh_analytics
from src.auth.jobs import send_login_code
from src.engagement.jobs import backfill_achievement, close_streak_days, sweep_backfills
from src.guards import requires_admin
from src.notifications.jobs import deliver_pushes, run_broadcast, sweep_broadcasts
from src.platform.jobs import heartbeat
from src.seasons.jobs import rebuild_cyber_board, rebuild_ranks, rebuild_reality_board, roll_seasons
from src.settings import Settings
from src.store.jobs import reconcile_payments
from src.worker import context
from src.xp.jobs import ensure_ledger_partitions

TASKS: list[Any] = [
    heartbeat,
    send_login_code,
    ensure_ledger_partitions,
    rebuild_ranks,
    rebuild_reality_board,
    rebuild_cyber_board,
    roll_seasons,
    run_broadcast,
    sweep_broadcasts,
    deliver_pushes,
    reconcile_payments,
    backfill_achievement,
    sweep_backfills,
    close_streak_days,
    refresh_analytics,
]


def schedule(settings: Settings | None = None, *, every_s: int | None = None) -> list[CronJob]:
    """The cron jobs, with the cadences that are settings: the analytics materialized views'
    refresh (ANALYTICS_REFRESH_CRON, every 5 minutes by default; off: none) and, tests only,
    XPCORE_CRON_EVERY_S (`every_s`), which runs each job every N seconds instead. Each job is
    unique in SAQ and claims its tick in the database (src/platform/cron.py), so a tick runs on
    one worker however many run."""
    every = every_s if every_s is not None else (settings.cron_every_s if settings else 0)
    analytics = settings.analytics_refresh_cron if settings else "*/5 * * * *"

    def cron(expression: str) -> str:
        return f"* * * * * */{every}" if every else expression

    jobs = [
        CronJob(function=heartbeat, cron=cron("* * * * *"), unique=True, timeout=30, retries=3, ttl=120),
        CronJob(function=ensure_ledger_partitions, cron=cron("17 3 * * *"), unique=True, timeout=120, retries=5),
        # the safety net; new notifications also wake delivery at once (LISTEN xpcore_outbox)
        CronJob(function=deliver_pushes, cron=cron("* * * * *"), unique=True, timeout=300, retries=3),
        CronJob(function=reconcile_payments, cron=cron("*/5 * * * *"), unique=True, timeout=300, retries=3),
        CronJob(function=sweep_broadcasts, cron=cron("* * * * *"), unique=True, timeout=600, retries=3),
        # achievements added or changed later: finishes back-fills the admin route could not queue
        CronJob(function=sweep_backfills, cron=cron("*/5 * * * *"), unique=True, timeout=3600, retries=3),
        # streaks: the day that ended in each time zone (whole, half or quarter hours apart), once
        CronJob(function=close_streak_days, cron=cron("*/15 * * * *"), unique=True, timeout=1800, retries=3),
        # a season closes within five minutes of its end (UTC month boundary)
        CronJob(function=roll_seasons, cron=cron("*/5 * * * *"), unique=True, timeout=600, retries=3),
        # Each board every 5 seconds (croniter's sixth field is seconds), the two 2 s apart so their
        # rebuilds barely overlap; each is published as soon as it is built (2-2.6 s at 1M users,
        # under load too): a rank is at most ~8 s old.
        CronJob(function=rebuild_reality_board, cron=cron("* * * * * */5"), unique=True, timeout=120, retries=1),
        CronJob(function=rebuild_cyber_board, cron=cron("* * * * * 2-59/5"), unique=True, timeout=120, retries=1),
    ]
    if analytics:
        jobs.append(
            CronJob(function=refresh_analytics, cron=cron(analytics), unique=True, timeout=REFRESH_TIMEOUT_S, retries=1)
        )
    return jobs


SCHEDULE = schedule()


def saq_config(settings: Settings) -> SAQConfig:
    return SAQConfig(
        queue_configs=[
            QueueConfig(
                dsn=settings.redis.url,
                name=settings.queue_name,
                tasks=TASKS,
                scheduled_tasks=schedule(settings),
                startup=context.startup,
                shutdown=context.shutdown,
                concurrency=10,
                # `make dev` runs one worker inside the API process; production runs
                # `xpcore workers run` separately.
                separate_process=not settings.worker_in_process,
            )
        ],
        web_enabled=True,
        web_path="/saq",
        web_guards=[requires_admin],
        use_server_lifespan=False,
    )


class DetachSeparateWorkers(InitPluginProtocol):
    """Keeps the API's lifecycle free of workers that run in their own process, and starts and
    stops a worker that runs inside it with `context.in_process_lifecycle`.

    SAQPlugin attaches every worker's startup and shutdown to the app. In production the
    workers run as `xpcore workers run`, so an API process that only enqueues must start no
    worker machinery, not even its heartbeat thread. This is a second plugin listed after
    SAQPlugin, not a subclass of it: litestar-saq's CLI finds its plugin by exact type
    (`app.plugins.get(SAQPlugin)`), and a subclass made `xpcore workers run` fail at start.
    """

    def __init__(self, saq: SAQPlugin) -> None:
        self._saq = saq

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        workers = [w for w in self._saq.get_workers().values() if w.separate_process]

        def owned_by_separate_worker(hook: Any) -> bool:
            return any(getattr(hook, "__self__", None) is w for w in workers)

        app_config.on_startup = [h for h in app_config.on_startup if not owned_by_separate_worker(h)]
        app_config.on_shutdown = [h for h in app_config.on_shutdown if not owned_by_separate_worker(h)]
        # A worker in the API process starts and stops through our hooks (context.py says why):
        # it stops first (Litestar runs shutdown hooks last to first), before the app closes its
        # own pool and Redis client.
        for worker in self._saq.get_workers().values():
            if worker.separate_process:
                continue
            start, stop = context.in_process_lifecycle(worker)
            app_config.on_startup = [start if h == worker.on_app_startup else h for h in app_config.on_startup]
            app_config.on_shutdown = [*(h for h in app_config.on_shutdown if h != worker.on_app_shutdown), stop]
        return app_config


def jobs_plugins(settings: Settings) -> tuple[SAQPlugin, DetachSeparateWorkers]:
    """The SAQ plugin and, after it, the plugin that detaches separate-process workers."""
    saq = SAQPlugin(config=saq_config(settings))
    return saq, DetachSeparateWorkers(saq)
