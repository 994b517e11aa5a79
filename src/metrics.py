"""Request metrics for `/metrics`: counts, errors, latency and requests in progress, labelled
by method, route template and status, under the names Litestar's Prometheus plugin uses
(`xpcore_requests_total`, `xpcore_request_duration_seconds`, ...).

A lean ASGI middleware rather than the plugin's, which builds a Request and a label dict and
looks four metric children up on every request: on the award path that was a tenth of the
API's CPU. Here each (method, route, status) resolves its children once and keeps them.

It wraps the whole app, outside routing (src/app.py), so every answer is counted: a 404 for a
path no route serves, a 405, and the 401/429 the auth middleware sends before any handler.
Paths no route serves share the route label `unmatched`, so a scan cannot grow the label set.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils import normalize_path
from prometheus_client import Counter, Gauge, Histogram

APP_NAME = "xpcore"
UNMATCHED = "unmatched"
LABELS = ("method", "path", "status_code", "app_name")

REQUESTS = Counter("xpcore_requests", "Total requests", LABELS)
ERRORS = Counter("xpcore_requests_error", "Total requests that ended in a server error", LABELS)
DURATION = Histogram("xpcore_request_duration_seconds", "Request duration, in seconds", LABELS)
IN_PROGRESS = Gauge("xpcore_requests_in_progress", "Requests being served", ("method", "path", "app_name"))
AWARD_BATCH_SIZE = Histogram(
    "xpcore_award_batch_size", "XP awards sent in one database call", buckets=(1, 2, 4, 8, 16, 32, 64)
)
READ_BATCH_SIZE = Histogram(
    "xpcore_read_batch_size",
    "Reads (profile, around-me) answered by one database call",
    ["read"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
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


def route_template(scope: Scope) -> str:
    """The route template this request will be served by (`/api/v1/users/{username:str}`), from
    the router's own cached lookup, or UNMATCHED when no route serves the path and method."""
    path: str = scope["path"]
    if root_path := scope.get("root_path", ""):
        path = path.split(root_path, maxsplit=1)[-1]
    try:
        # the exact call the router makes next, so its lru_cache answers that one
        *_, template = scope["litestar_app"].asgi_router.handle_routing(
            path=normalize_path(path), method=scope.get("method")
        )
    except Exception:  # NotFound, MethodNotAllowed, an invalid path
        return UNMATCHED
    return str(template)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, exclude: tuple[str, ...] = ("/metrics",)) -> None:
        self.app = app
        self.exclude = exclude

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exclude:
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]  # type: ignore[typeddict-item]
        path = route_template(scope)
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
