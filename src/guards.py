"""Route guards. Authentication fills `connection.user`; guards only decide."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler


def _roles(user: Any) -> tuple[str, ...]:
    return tuple(getattr(user, "roles", ()) or ())


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Admins only. Denies everyone until a request carries an authenticated admin user."""
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException("authentication required")
    if "admin" not in _roles(user):
        raise PermissionDeniedException("admin role required")
