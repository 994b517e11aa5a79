"""Request metrics for `/metrics`: counts, errors, latency and requests in progress, labelled
by method, route template and status, under the names Litestar's Prometheus plugin uses
(`xpcore_requests_total`, `xpcore_request_duration_seconds`, ...).

A lean ASGI middleware rather than the plugin's, which builds a Request and a label dict and
looks four metric children up on every request: on the award path that was a tenth of the
API's CPU. Here each (method, route, status) resolves its children once and keeps them.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

APP_NAME = "xpcore"
LABELS = ("method", "path", "status_code", "app_name")

REQUESTS = Counter("xpcore_requests", "Total requests", LABELS)
ERRORS = Counter("xpcore_requests_error", "Total requests that ended in a server error", LABELS)
DURATION = Histogram("xpcore_request_duration_seconds", "Request duration, in seconds", LABELS)
IN_PROGRESS = Gauge("xpcore_requests_in_progress", "Requests being served", ("method", "path", "app_name"))
AWARD_BATCH_SIZE = Histogram(
    "xpcore_award_batch_size", "XP awards sent in one database call", buckets=(1, 2, 4, 8, 16, 32, 64)
)

_finished: dict[tuple[str, str, int], tuple[Any, Any, Any | None]] = {}
_running: dict[tuple[str, str], Any] = {}


def _finished_children(method: str, path: str, status: int) -> tuple[Any, Any, Any | None]:
    key = (method, path, status)
    children = _finished.get(key)
    if children is None:
        values = (method, path, str(status), APP_NAME)
        error = ERRORS.labels(*values) if status >= 500 else None
        children = _finished[key] = (REQUESTS.labels(*values), DURATION.labels(*values), error)
    return children


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, exclude: tuple[str, ...] = ("/metrics",)) -> None:
        self.app = app
        self.exclude = exclude

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exclude:
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]  # type: ignore[typeddict-item]
        path: str = scope.get("path_template") or scope["path"]  # type: ignore[assignment]
        running = _running.get((method, path))
        if running is None:
            running = _running[(method, path)] = IN_PROGRESS.labels(method, path, APP_NAME)
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        running.inc()
        try:
            await self.app(scope, receive, send_status)
        finally:
            running.dec()
            count, duration, error = _finished_children(method, path, status)
            count.inc()
            duration.observe(time.perf_counter() - started)
            if error is not None:
                error.inc()
