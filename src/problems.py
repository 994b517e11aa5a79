"""RFC 9457 problem documents for every error the API can answer with."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from src.db_errors import problem_for

log = logging.getLogger("xpcore.errors")
PROBLEM = "application/problem+json"


def problem(
    status: int, detail: str, title: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM, headers=headers)


async def send_problem(send: Any, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """Answer with a problem document straight from ASGI middleware (before routing)."""
    import json

    body = json.dumps({"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail})
    raw_headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body.encode()})


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    extra = exc.extra
    if isinstance(extra, list):
        return [item if isinstance(item, dict) else {"message": str(item)} for item in extra]
    if isinstance(extra, dict):
        return [extra]
    return []


# Server-side statuses a handler raises on purpose (a dependency down or not configured, an
# upstream that failed): they pass through with their detail and headers (Retry-After).
# Any other 5xx is a fault and becomes the generic, logged 500.
DELIBERATE_5XX = frozenset({502, 503, 504})


def http_exception_handler(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500 and status not in DELIBERATE_5XX:  # server faults: log them, never echo their details
        return internal_error_handler(request, exc)
    extra: dict[str, Any] = {"instance": request.url.path}
    if isinstance(exc, ValidationException):
        extra["errors"] = _validation_errors(exc)
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    elif status == 404 and exc.detail in ("Not Found", ""):
        detail = f"no resource at {request.url.path}"
    else:
        detail = exc.detail
    return problem(status, detail, headers=dict(exc.headers or {}), **extra)


def postgres_exception_handler(request: Request, exc: asyncpg.PostgresError) -> Response[dict[str, Any]]:
    mapped = problem_for(exc)
    if mapped is None:
        return internal_error_handler(request, exc)
    status, title, detail, extra = mapped
    return problem(status, detail, title=title, instance=request.url.path, **extra)


def unavailable_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.warning("dependency unavailable: %s", type(exc).__name__)
    return problem(
        503, "a backing service is unavailable; retry shortly", headers={"Retry-After": "5"}, instance=request.url.path
    )


def internal_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "an unexpected error occurred; it has been logged", instance=request.url.path)


EXCEPTION_HANDLERS = {
    HTTPException: http_exception_handler,
    asyncpg.PostgresError: postgres_exception_handler,
    asyncpg.PostgresConnectionError: unavailable_handler,
    asyncpg.InterfaceError: unavailable_handler,
    ConnectionError: unavailable_handler,
    OSError: unavailable_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM", "MediaType", "problem"]
