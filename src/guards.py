"""Route guards. `AuthMiddleware` fills `scope["user"]` (a Principal or None) and, when the
presented credentials were bad, `scope["auth_error"]` (status, detail, problem code); guards
only decide."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from src.problems import with_code

# Each guard carries `openapi_kind`: src/openapi.py turns it into the operation's security.
# Guards are coroutines: Litestar runs plain functions in a worker thread, a hop per request.
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    principal = connection.scope.get("user")
    if principal is None:
        error: Any = connection.scope.get("auth_error")  # type: ignore[typeddict-item]
        if not error:
            raise with_code(NotAuthorizedException("authentication required"), "auth.unauthenticated")
        status, detail, code = error
        raise with_code(PermissionDeniedException(detail) if status == 403 else NotAuthorizedException(detail), code)
    return principal


# The rules themselves, as predicates on an authenticated principal: the guards below and the
# fast lane (src/fast_lane.py) both decide with these.
def is_user(principal: Any) -> bool:
    return principal.user_id is not None


def is_user_or_has_scope(principal: Any, scope: str) -> bool:
    return principal.via != "api_key" or scope in principal.scopes


async def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A signed-in user (Bearer token or cookie)."""
    if not is_user(_principal(connection)):
        raise with_code(PermissionDeniedException("a user token is required"), "auth.user_token_required")


requires_user.openapi_kind = "user"  # type: ignore[attr-defined]


async def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A signed-in user with role admin."""
    principal = _principal(connection)
    if principal.user_id is None or "admin" not in principal.roles:
        raise with_code(PermissionDeniedException("admin role required"), "auth.admin_required")


requires_admin.openapi_kind = "admin"  # type: ignore[attr-defined]


def requires_scope(*scopes: str) -> Guard:
    """An API key holding every one of `scopes`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = _principal(connection)
        if principal.via != "api_key" or not set(scopes) <= set(principal.scopes):
            detail = f"an API key with scope {', '.join(scopes)} is required"
            raise with_code(PermissionDeniedException(detail), "auth.scope_required")

    guard.openapi_kind = ("scope", scopes)  # type: ignore[attr-defined]
    return guard


def requires_user_or_scope(scope: str) -> Guard:
    """A signed-in user, or an API key with `scope` (the handler narrows what users may do)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not is_user_or_has_scope(_principal(connection), scope):
            raise with_code(PermissionDeniedException(f"this API key lacks scope {scope}"), "auth.scope_required")

    guard.openapi_kind = ("user_or_scope", scope)  # type: ignore[attr-defined]
    return guard
