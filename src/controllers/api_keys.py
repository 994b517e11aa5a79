"""Admin management of scoped API keys. The key is shown once, in the creating answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post

from src.answers import api_keys as answers
from src.answers import documented
from src.auth import api_keys
from src.guards import requires_admin
from src.sql import auth as sql

Scope = Literal["xp:write", "challenges:judge", "users:read", "notifications:write"]


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]


class ApiKey(msgspec.Struct):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None


class ApiKeyCreated(ApiKey):
    key: str = ""


async def create_api_key(db: Any, settings: Any, name: str, scopes: list[str], created_by: Any) -> ApiKeyCreated:
    key, prefix, secret = api_keys.generate()
    row = await db.fetchval(
        sql.API_KEY_CREATE, name, prefix, api_keys.secret_hash(settings, secret), scopes, created_by
    )
    return msgspec.convert({**row, "key": key}, ApiKeyCreated)


class ApiKeysController(Controller):
    path = "/api/v1/admin/api-keys"
    tags = ["admin"]
    guards = [requires_admin]

    @post("/", status_code=201, responses=documented(answers.ApiKeyCreated, "The key, shown this once", 201))
    async def create_key(self, request: Request[Any, Any, Any], data: ApiKeyCreate) -> ApiKeyCreated:
        state = request.app.state
        return await create_api_key(state.db, state.settings, data.name, list(data.scopes), request.user.user_id)

    @get("/", responses=documented(list[answers.ApiKey], "Every key, newest first, never a secret"))
    async def list_keys(self, request: Request[Any, Any, Any]) -> list[ApiKey]:
        return msgspec.convert(await request.app.state.db.fetchval(sql.API_KEYS_LIST), list[ApiKey])

    @delete("/{key_id:uuid}", status_code=204)
    async def revoke(self, request: Request[Any, Any, Any], key_id: uuid.UUID) -> None:
        await request.app.state.db.fetchval(sql.API_KEY_REVOKE, key_id)
        request.app.state.api_keys.forget(key_id)
