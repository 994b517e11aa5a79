"""Auth answers: scoped API keys for trusted services (admin), and the JWKS."""

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


class Jwk(Answer):
    """An RS256 public key (RFC 7517)."""

    kty: Literal["RSA"]
    kid: str
    alg: Literal["RS256"]
    use: Literal["sig"]
    n: str
    e: str
    key_ops: list[Literal["verify"]]


class Jwks(Answer):
    """GET /.well-known/jwks.json: the current signing key and the previous ones."""

    keys: list[Jwk]
