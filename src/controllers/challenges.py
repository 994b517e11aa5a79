"""Coding challenges (api.md). Players read and start them; only a trusted judge (API key
with `challenges:judge`) sees the hidden tests and reports completions, which pay XP and
coins once through the same functions as every other award."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import NotFoundException

from src.db import json_response
from src.guards import requires_admin, requires_scope, requires_user
from src.sql import challenges as sql


class Completion(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    passed: bool
    hints_used: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    duration_s: Annotated[int, msgspec.Meta(ge=0, le=30 * 24 * 3600)] | None = None


class CompletionResult(msgspec.Struct):
    status: str
    xp_awarded: int
    stars: int | None
    next_slug: str | None


class ChallengeUpsert(msgspec.Struct, forbid_unknown_fields=True):
    slug: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    order: Annotated[int, msgspec.Meta(ge=1)]
    description: str
    starter_code: str
    tests: str
    xp_reward: Annotated[int, msgspec.Meta(ge=1)] | None = None
    coin_reward: Annotated[int, msgspec.Meta(ge=0)] = 0
    target_time_s: Annotated[int, msgspec.Meta(ge=1)] = 600
    active: bool = True


class ChallengePatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    title: str | None = None
    order: Annotated[int, msgspec.Meta(ge=1)] | None = None
    description: str | None = None
    starter_code: str | None = None
    tests: str | None = None
    xp_reward: Annotated[int, msgspec.Meta(ge=1)] | None = None
    coin_reward: Annotated[int, msgspec.Meta(ge=0)] | None = None
    target_time_s: Annotated[int, msgspec.Meta(ge=1)] | None = None
    active: bool | None = None


class ChallengesController(Controller):
    path = "/api/v1/challenges"
    tags = ["challenges"]

    @get("/", guards=[requires_user])
    async def list_challenges(self, request: Request[Any, Any, Any]) -> Response[list[dict[str, Any]]]:
        """`[{slug, title, order, xp_reward, coin_reward, status, stars}]` (never hidden tests)."""
        return json_response(await request.app.state.db.fetchval(sql.LIST, request.user.user_id))

    @get("/{slug:str}", guards=[requires_user])
    async def get_challenge(self, request: Request[Any, Any, Any], slug: str) -> Response[dict[str, Any]]:
        """Description and starter code; 403 while locked."""
        return json_response(await request.app.state.db.fetchval(sql.GET, request.user.user_id, slug))

    @post("/{slug:str}/start", guards=[requires_user], status_code=204)
    async def start(self, request: Request[Any, Any, Any], slug: str) -> None:
        await request.app.state.db.fetchval(sql.START, request.user.user_id, slug)

    @get("/{slug:str}/judge", guards=[requires_scope("challenges:judge")])
    async def judge_view(self, request: Request[Any, Any, Any], slug: str) -> Response[dict[str, Any]]:
        """For the judge: the challenge with its hidden tests."""
        return json_response(await request.app.state.db.fetchval(sql.JUDGE, slug))

    @post("/{slug:str}/completions", guards=[requires_scope("challenges:judge")], status_code=200)
    async def complete(self, request: Request[Any, Any, Any], slug: str, data: Completion) -> CompletionResult:
        """The judge's verdict: pays XP and coins once; 409 while the challenge is locked."""
        answer = await request.app.state.db.fetchval(
            sql.COMPLETE, data.user_id, slug, data.passed, data.hints_used, data.duration_s
        )
        return msgspec.convert(answer, CompletionResult)


class ChallengeAdminController(Controller):
    path = "/api/v1/admin/challenges"
    tags = ["challenges", "admin"]
    guards = [requires_admin]

    @post("/", status_code=201)
    async def upsert(self, request: Request[Any, Any, Any], data: ChallengeUpsert) -> dict[str, Any]:
        """Create or update a challenge by slug (progress is kept)."""
        return await request.app.state.db.fetchval(sql.UPSERT, msgspec.to_builtins(data))  # type: ignore[no-any-return]

    @patch("/{slug:str}")
    async def change(self, request: Request[Any, Any, Any], slug: str, data: ChallengePatch) -> dict[str, Any]:
        """Change some fields of a challenge (progress is kept)."""
        return await request.app.state.db.fetchval(sql.PATCH, slug, msgspec.to_builtins(data))  # type: ignore[no-any-return]

    @delete("/{slug:str}", status_code=204)
    async def deactivate(self, request: Request[Any, Any, Any], slug: str) -> None:
        """Retire a challenge (it disappears for players; progress stays)."""
        if await request.app.state.db.fetchval(sql.DEACTIVATE, slug) is None:
            raise NotFoundException(f"no challenge {slug}")
