"""Scoped API keys for trusted services (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from src.answers import Answer

Scope = Literal["xp:write", "challenges:judge", "users:read", "notifications:write"]


class ApiKey(Answer):
    """An API key, never its secret (`auth.api_keys_list`, `auth.api_key_create`)."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    """POST /admin/api-keys: the key itself, shown this once (only its hash is stored)."""

    key: str
