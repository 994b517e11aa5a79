"""The authenticated caller, put in `request.user` by the auth middleware (None: anonymous)."""

from __future__ import annotations

import uuid

import msgspec


class Principal(msgspec.Struct, frozen=True):
    user_id: uuid.UUID | None
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    api_key_id: uuid.UUID | None = None
    via: str = "bearer"  # "bearer" | "cookie" | "api_key"
    session_id: uuid.UUID | None = None  # the refresh-token family of a user token

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles
