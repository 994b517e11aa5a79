"""RFC 9457 problem documents for every error the API can answer with.

Every problem carries a stable, machine-readable `code` (`<area>.<snake_case>`; docs/api.md
"Problem codes" lists them all): the one its raiser named, else its status's default.

- db functions name theirs in the exception's DETAIL (src/db_errors.py);
- our own exceptions carry theirs as `problem_code` (`with_code(exc, "auth.admin_required")`);
  ASGI middleware passes it to `send_problem`;
- everything else gets DEFAULT_CODES[status] (validation failures `request.validation_failed`,
  a body that does not parse `request.malformed_body`, an unknown route `request.unknown_route`).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, TypeVar

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, SerializationException, ValidationException

from src.db_errors import DatabaseError, Refused, problem_for

log = logging.getLogger("xpcore.errors")
PROBLEM = "application/problem+json"

# The code of a problem whose raiser named none.
DEFAULT_CODES = {
    400: "request.bad_request",
    401: "auth.unauthenticated",
    402: "request.payment_required",
    403: "auth.forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    409: "request.conflict",
    410: "request.gone",
    413: "request.body_too_large",
    422: "request.unprocessable",
    423: "request.locked",
    429: "request.rate_limited",
    500: "server.error",
    502: "service.upstream_failed",
    503: "service.unavailable",
    504: "service.timeout",
}
OTHER_CLIENT_ERROR = "request.rejected"  # a 4xx not in DEFAULT_CODES
VALIDATION_FAILED = "request.validation_failed"
MALFORMED_BODY = "request.malformed_body"  # a body that does not parse (Litestar's SerializationException)
UNKNOWN_ROUTE = "request.unknown_route"

_E = TypeVar("_E", bound=BaseException)


def with_code(exc: _E, code: str) -> _E:
    """`exc`, marked to answer with problem code `code`."""
    exc.problem_code = code  # type: ignore[attr-defined]
    return exc


def default_code(status: int) -> str:
    return DEFAULT_CODES.get(status) or (OTHER_CLIENT_ERROR if status < 500 else DEFAULT_CODES[500])


def problem(
    status: int,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code or default_code(status),
    }
    body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM, headers=headers)


async def send_problem(
    send: Any, status: int, detail: str, headers: dict[str, str] | None = None, code: str | None = None
) -> None:
    """Answer with a problem document straight from ASGI middleware (before routing)."""
    import json

    body = json.dumps(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "code": code or default_code(status),
        }
    )
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


def _unknown_route(exc: HTTPException) -> bool:
    return exc.status_code == 404 and exc.detail in ("Not Found", "")


def code_of(exc: HTTPException) -> str:
    """The problem code of an HTTPException: named by its raiser, known by its class, or its status's default."""
    named = getattr(exc, "problem_code", None)
    if isinstance(named, str):
        return named
    if isinstance(exc, ValidationException):
        return VALIDATION_FAILED
    if isinstance(exc.__cause__, SerializationException):
        return MALFORMED_BODY
    if isinstance(exc, NotFoundException) and _unknown_route(exc):
        return UNKNOWN_ROUTE
    return default_code(exc.status_code)


def http_exception_handler(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500 and status not in DELIBERATE_5XX:  # server faults: log them, never echo their details
        return internal_error_handler(request, exc)
    extra: dict[str, Any] = {"instance": request.url.path}
    if isinstance(exc, ValidationException):
        extra["errors"] = _validation_errors(exc)
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    elif _unknown_route(exc):
        detail = f"no resource at {request.url.path}"
    else:
        detail = exc.detail
    return problem(status, detail, headers=dict(exc.headers or {}), code=code_of(exc), **extra)


def postgres_exception_handler(request: Request, exc: DatabaseError) -> Response[dict[str, Any]]:
    mapped = problem_for(exc)
    if mapped is None:
        return internal_error_handler(request, exc)
    status, title, detail, extra = mapped
    code = extra.pop("code", None)
    return problem(status, detail, title=title, code=code, instance=request.url.path, **extra)


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
    Refused: postgres_exception_handler,
    asyncpg.PostgresConnectionError: unavailable_handler,
    asyncpg.InterfaceError: unavailable_handler,
    ConnectionError: unavailable_handler,
    OSError: unavailable_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM", "MediaType", "problem", "send_problem", "with_code"]
