"""Users of api.md: the caller's own account, their sessions, and public profiles."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch
from litestar.exceptions import NotFoundException, ValidationException

from src.answers import documented
from src.auth import calls as auth_calls
from src.auth.cookies import clear_auth_cookies
from src.db import Database, Document
from src.guards import requires_scope, requires_user
from src.problems import with_code
from src.users import answers, calls


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    username: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{3,32}$")] | msgspec.UnsetType = msgspec.UNSET
    display_name: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType | None = msgspec.UNSET
    avatar_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://")] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    bio: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType | None = msgspec.UNSET
    # An IANA name; the database refuses one it does not know (users.unknown_timezone).
    timezone: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1,
                max_length=64,
                pattern=r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$",
                examples=["Europe/Berlin"],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


def _found(user: Document | None, missing: str, code: str) -> answers.User:
    if user is None:
        raise with_code(NotFoundException(missing), code)
    return msgspec.convert(user, answers.User)


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/me", guards=[requires_user], responses=documented(answers.User, "The caller's account"))
    async def me(self, request: Request[Any, Any, Any], db: Database) -> answers.User:
        return _found(
            await calls.user_me(db, request.user.user_id), "this account no longer exists", "users.account_gone"
        )

    @patch("/me", guards=[requires_user], responses=documented(answers.User, "The account, changed"))
    async def update_me(self, request: Request[Any, Any, Any], db: Database, data: UserUpdate) -> answers.User:
        """Change username, display name, avatar, bio or time zone (IANA); a taken username is a 409."""
        user = await calls.user_update(db, request.user.user_id, msgspec.to_builtins(data))
        return _found(user, "this account no longer exists", "users.account_gone")

    @delete("/me", guards=[requires_user], status_code=204)
    async def delete_me(self, request: Request[Any, Any, Any], db: Database) -> Response[None]:
        """Erase personal data; ledgers stay, anonymised. Every session ends."""
        await calls.user_delete(db, request.user.user_id)
        return clear_auth_cookies(Response(None, status_code=204), request.app.state.settings)

    @get("/me/sessions", guards=[requires_user])
    async def sessions(self, request: Request[Any, Any, Any], db: Database) -> list[answers.Session]:
        """The caller's signed-in sessions (one per login, kept across refreshes)."""
        rows = await auth_calls.sessions_list(db, request.user.user_id)
        current = str(request.user.session_id) if request.user.session_id else None
        return [msgspec.convert({**row, "current": row["id"] == current}, answers.Session) for row in rows]

    @delete("/me/sessions/{session_id:uuid}", guards=[requires_user], status_code=204)
    async def end_session(self, request: Request[Any, Any, Any], db: Database, session_id: uuid.UUID) -> None:
        """Sign a session out: its refresh token stops working (its access token expires within 15 minutes)."""
        if not await auth_calls.family_revoke(db, session_id, request.user.user_id):
            raise with_code(NotFoundException("no such session"), "users.unknown_session")

    @get("/lookup", guards=[requires_scope("users:read")], responses=documented(answers.User, "The user"))
    async def lookup(self, db: Database, id: uuid.UUID | None = None, discord_id: str | None = None) -> answers.User:
        """For trusted services (API key with users:read): a user by id or Discord id."""
        if (id is None) == (discord_id is None):
            raise with_code(ValidationException("give exactly one of id or discord_id"), "users.one_reference_needed")
        return _found(await calls.user_lookup(db, id, discord_id), "no such user", "users.unknown_user")

    @get("/{username:str}", responses=documented(answers.PublicProfile, "The user's public profile"))
    async def public(self, replica: Database, username: str) -> Document:
        user = await calls.user_public(replica, username)
        if user is None:
            raise with_code(NotFoundException(f"no user {username!r}"), "users.unknown_user")
        return user
