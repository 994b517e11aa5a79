"""Users: the caller's own account and the public faces of others."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from src.answers import Answer

Role = Literal["user", "admin"]


class User(Answer):
    """A user as they see themselves (`auth.user_json`): GET/PATCH /users/me, TokenPair.user."""

    id: uuid.UUID
    username: str
    display_name: str | None
    email: str | None
    avatar_url: str | None
    bio: str | None
    discord_id: str | None
    timezone: str
    roles: list[Role]
    created_at: datetime


class UserSummary(Answer):
    """A user's public face on boards and profiles: who, not what they own."""

    id: uuid.UUID
    username: str
    display_name: str | None
    avatar_url: str | None


class PublicLayers(Answer):
    """The layer a user stands in, per mode (the first layer before any XP)."""

    reality: str | None
    cyber: str | None


class PublicProfile(Answer):
    """Anyone's public profile (`app.user_public`): GET /users/{username}."""

    id: uuid.UUID
    username: str
    display_name: str | None
    avatar_url: str | None
    bio: str | None
    created_at: datetime
    level: int
    layers: PublicLayers


class Session(Answer):
    """One signed-in session (a refresh-token family): GET /users/me/sessions."""

    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    current: bool = False  # set by the API: the session of the calling token
