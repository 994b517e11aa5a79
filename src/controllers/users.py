"""Users of api.md: the caller's own account, and public profiles."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch
from litestar.exceptions import NotFoundException, ValidationException

from src.answers import documented
from src.answers import users as answers
from src.auth.cookies import clear_auth_cookies
from src.guards import requires_scope, requires_user
from src.sql import auth as sql


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    username: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{3,32}$")] | msgspec.UnsetType = msgspec.UNSET
    display_name: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType | None = msgspec.UNSET
    avatar_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://")] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    bio: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType | None = msgspec.UNSET


class PublicUser(msgspec.Struct):
    id: str
    username: str
    display_name: str | None
    avatar_url: str | None
    bio: str | None
    created_at: str
    level: int | None = None
    layers: dict[str, Any] | None = None


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/me", guards=[requires_user], responses=documented(answers.User, "The caller's account"))
    async def me(self, request: Request[Any, Any, Any]) -> answers.User:
        user = await request.app.state.db.fetchval(sql.USER_ME, request.user.user_id)
        if user is None:
            raise NotFoundException("this account no longer exists")
        return msgspec.convert(user, answers.User)

    @patch("/me", guards=[requires_user], responses=documented(answers.User, "The account, changed"))
    async def update_me(self, request: Request[Any, Any, Any], data: UserUpdate) -> answers.User:
        """Change username, display name, avatar or bio; a taken username is a 409."""
        user = await request.app.state.db.fetchval(sql.USER_UPDATE, request.user.user_id, msgspec.to_builtins(data))
        if user is None:
            raise NotFoundException("this account no longer exists")
        return msgspec.convert(user, answers.User)

    @delete("/me", guards=[requires_user], status_code=204)
    async def delete_me(self, request: Request[Any, Any, Any]) -> Response[None]:
        """Erase personal data; ledgers stay, anonymised. Every session ends."""
        await request.app.state.db.fetchval(sql.USER_DELETE, request.user.user_id)
        return clear_auth_cookies(Response(None, status_code=204), request.app.state.settings)

    @get("/me/sessions", guards=[requires_user])
    async def sessions(self, request: Request[Any, Any, Any]) -> list[answers.Session]:
        """The caller's signed-in sessions (one per login, kept across refreshes)."""
        rows = await request.app.state.db.fetchval(sql.SESSIONS_LIST, request.user.user_id)
        current = str(request.user.session_id) if request.user.session_id else None
        return [msgspec.convert({**row, "current": row["id"] == current}, answers.Session) for row in rows]

    @delete("/me/sessions/{session_id:uuid}", guards=[requires_user], status_code=204)
    async def end_session(self, request: Request[Any, Any, Any], session_id: uuid.UUID) -> None:
        """Sign a session out: its refresh token stops working (its access token expires within 15 minutes)."""
        if not await request.app.state.db.fetchval(sql.FAMILY_REVOKE, session_id, request.user.user_id):
            raise NotFoundException("no such session")

    @get("/lookup", guards=[requires_scope("users:read")], responses=documented(answers.User, "The user"))
    async def lookup(
        self, request: Request[Any, Any, Any], id: uuid.UUID | None = None, discord_id: str | None = None
    ) -> answers.User:
        """For trusted services (API key with users:read): a user by id or Discord id."""
        if (id is None) == (discord_id is None):
            raise ValidationException("give exactly one of id or discord_id")
        user = await request.app.state.db.fetchval(sql.USER_LOOKUP, id, discord_id)
        if user is None:
            raise NotFoundException("no such user")
        return msgspec.convert(user, answers.User)

    @get("/{username:str}", responses=documented(answers.PublicProfile, "The user's public profile"))
    async def public(self, request: Request[Any, Any, Any], username: str) -> PublicUser:
        user = await request.app.state.db.fetchval(sql.USER_PUBLIC, username)
        if user is None:
            raise NotFoundException(f"no user {username!r}")
        return msgspec.convert(user, PublicUser)
