"""Coding challenges (api.md). Players read and start them; only a trusted judge (API key
with `challenges:judge`) sees the hidden tests and reports completions, which pay XP and
coins once through the same functions as every other award."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import NotFoundException

from src.answers import documented
from src.challenges import answers, calls
from src.db import Database, Document, json_response
from src.guards import requires_admin, requires_scope, requires_user
from src.problems import with_code


class Completion(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    passed: bool
    hints_used: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    duration_s: Annotated[int, msgspec.Meta(ge=0, le=30 * 24 * 3600)] | None = None


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

    @get("/", guards=[requires_user], responses=documented(list[answers.ChallengeSummary], "The catalog, in order"))
    async def list_challenges(self, request: Request[Any, Any, Any], replica: Database) -> Response[bytes]:
        """`[{slug, title, order, xp_reward, coin_reward, status, stars}]` (never hidden tests)."""
        return json_response(await calls.list_for(replica, request.user.user_id))

    @get("/{slug:str}", guards=[requires_user], responses=documented(answers.ChallengeDetail, "The challenge"))
    async def get_challenge(self, request: Request[Any, Any, Any], db: Database, slug: str) -> Response[bytes]:
        """Description and starter code; 403 while locked."""
        return json_response(await calls.get_for(db, request.user.user_id, slug))

    @post("/{slug:str}/start", guards=[requires_user], status_code=204)
    async def start(self, request: Request[Any, Any, Any], db: Database, slug: str) -> None:
        await calls.start(db, request.user.user_id, slug)

    @get(
        "/{slug:str}/judge",
        guards=[requires_scope("challenges:judge")],
        responses=documented(answers.JudgeChallenge, "The challenge with its hidden tests"),
    )
    async def judge_view(self, db: Database, slug: str) -> Response[bytes]:
        """For the judge: the challenge with its hidden tests."""
        return json_response(await calls.judge_view(db, slug))

    @post(
        "/{slug:str}/completions",
        guards=[requires_scope("challenges:judge")],
        status_code=200,
        responses=documented(answers.CompletionResult, "The verdict recorded"),
    )
    async def complete(self, db: Database, slug: str, data: Completion) -> Document:
        """The judge's verdict: pays XP and coins once; 409 while the challenge is locked."""
        return await calls.complete(db, data.user_id, slug, data.passed, data.hints_used, data.duration_s)


class ChallengeAdminController(Controller):
    path = "/api/v1/admin/challenges"
    tags = ["challenges", "admin"]
    guards = [requires_admin]

    @post("/", status_code=201, responses=documented(answers.ChallengeSaved, "The challenge, saved", 201))
    async def upsert(self, db: Database, data: ChallengeUpsert) -> Document:
        """Create or update a challenge by slug (progress is kept)."""
        return await calls.upsert(db, msgspec.to_builtins(data))

    @patch("/{slug:str}", responses=documented(answers.ChallengeUpdated, "The challenge, changed"))
    async def change(self, db: Database, slug: str, data: ChallengePatch) -> Document:
        """Change some fields of a challenge (progress is kept)."""
        return await calls.patch(db, slug, msgspec.to_builtins(data))

    @delete("/{slug:str}", status_code=204)
    async def deactivate(self, db: Database, slug: str) -> None:
        """Retire a challenge (it disappears for players; progress stays)."""
        if not await calls.deactivate(db, slug):
            raise with_code(NotFoundException(f"no challenge {slug}"), "challenges.unknown_challenge")
