"""API keys `xpk_<prefix>_<secret>`: stored as prefix + HMAC of the secret, verified without a
database round trip on the hot path.

A verified key is cached in this process for CACHE_TTL_S (revocation in this process drops it
at once; other processes see a revocation within the TTL). `last_used_at` is written at most
once a minute per key and process, off the request path.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from src.auth.answers import Scope
from src.auth.principal import Principal
from src.auth.secrets import keyed_hash
from src.settings import Settings

if TYPE_CHECKING:
    from src.db import Database, Document

SCOPES: tuple[str, ...] = get_args(Scope)
CACHE_TTL_S = 10.0
TOUCH_EVERY_S = 60.0


def generate() -> tuple[str, str, str]:
    """(full key, prefix, secret)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32).replace("_", "x").replace("-", "y")
    return f"xpk_{prefix}_{secret}", prefix, secret


async def create(
    db: Database, settings: Settings, name: str, scopes: list[str], created_by: uuid.UUID | None
) -> Document:
    """A new key: the ApiKeyCreated document, the only place its secret ever appears."""
    from src.auth import calls

    key, prefix, secret = generate()
    row = await calls.api_key_create(db, name, prefix, secret_hash(settings, secret), scopes, created_by)
    return {**row, "key": key}


def split(key: str) -> tuple[str, str] | None:
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != "xpk" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_hash(settings: Settings, secret: str) -> bytes:
    return keyed_hash(settings, "api-key", secret)


@dataclass
class _Cached:
    principal: Principal | None
    expires: float


class ApiKeyVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[str, _Cached] = {}
        self._touched: dict[uuid.UUID, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def forget(self, key_id: uuid.UUID) -> None:
        for full, entry in list(self._cache.items()):
            if entry.principal is not None and entry.principal.api_key_id == key_id:
                del self._cache[full]

    async def verify(self, db: Any, key: str) -> Principal | None:
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached.expires > now:
            principal = cached.principal
        else:
            principal = await self._lookup(db, key)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = _Cached(principal, now + CACHE_TTL_S)
        if principal is not None and principal.api_key_id is not None:
            self._maybe_touch(db, principal.api_key_id, now)
        return principal

    async def _lookup(self, db: Any, key: str) -> Principal | None:
        parts = split(key)
        if parts is None:
            return None
        prefix, secret = parts
        row = await db.fetchrow("select * from auth.api_key_lookup($1)", prefix)
        if row is None or row["revoked"]:
            return None
        if not hmac.compare_digest(bytes(row["secret_hash"]), secret_hash(self.settings, secret)):
            return None
        return Principal(user_id=None, scopes=tuple(row["scopes"]), api_key_id=row["id"], via="api_key")

    def _maybe_touch(self, db: Any, key_id: uuid.UUID, now: float) -> None:
        if now - self._touched.get(key_id, 0.0) < TOUCH_EVERY_S:
            return
        self._touched[key_id] = now
        task = asyncio.get_running_loop().create_task(db.execute("select auth.api_key_touch($1)", key_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
