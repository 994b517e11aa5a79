"""XP, levels, layers and the user's own profile (api.md: XP, levels, layers; Users).

Thin: the award rules (caps, levels, layers, seasons, idempotency, self-report) are all in
`xp.award_event`; this module authenticates, validates the shape and makes one call.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.params import Parameter

from src.answers import documented
from src.answers import xp as answers
from src.auth.principal import Principal
from src.award_batcher import Award
from src.db import json_response
from src.guards import requires_admin, requires_user, requires_user_or_scope
from src.limits import BigintCursor, check_decimal, check_json_object
from src.sql import xp as sql

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class UserRef(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID | None = None
    discord_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class XPEventCreate(msgspec.Struct, forbid_unknown_fields=True):
    user: UserRef
    activity: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # Decimal keeps the client's number exact; range and sign are checked in SQL (422).
    units: Decimal
    idempotency_key: Key
    occurred_at: datetime | None = None
    metadata: dict[str, Any] | None = None


class ModeState(msgspec.Struct):
    xp: int
    level: int
    layer: str | None = None


class XPAward(msgspec.Struct):
    event_id: int
    user_id: uuid.UUID
    xp_awarded: int
    capped: bool
    total_xp: int
    level: int
    leveled_up: bool
    modes: dict[str, ModeState]
    season_id: str
    season_xp: int
    mode: str | None = None
    replayed: bool = False


class AdjustmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    xp: Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
    idempotency_key: Key | None = None
    mode: Annotated[str, msgspec.Meta(pattern=r"^(reality|cyber)$")] | None = None


def _principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.user
    assert isinstance(principal, Principal)
    return principal


class XPController(Controller):
    path = "/api/v1"
    tags = ["xp"]

    @post(
        "/xp/events",
        guards=[requires_user_or_scope("xp:write")],
        status_code=201,
        responses=documented(answers.XPAward, "The award", 201)
        | documented(answers.XPAward, "The idempotency key was used before: the original answer, `replayed: true`"),
    )
    async def award(self, request: Request[Any, Any, Any], data: XPEventCreate) -> Response[XPAward]:
        """Award XP for an activity: an API key with `xp:write` for any user (by id or discord_id);
        a user token only for `self_report` activities on themselves. 201 with the award; 200
        with the original answer when this caller used the idempotency key before for the
        same request; 409 when it used it for a different one."""
        principal = _principal(request)
        if (data.user.id is None) == (data.user.discord_id is None):
            raise ValidationException("user needs exactly one of id or discord_id")
        check_decimal(data.units, "units")
        check_json_object(data.metadata, "metadata")
        trusted = principal.via == "api_key" and "xp:write" in principal.scopes
        if not trusted and principal.user_id is None:
            raise PermissionDeniedException("xp:write scope or a user token required")
        replayed, body = await request.app.state.awards.award(
            Award(
                user_id=data.user.id,
                discord_id=data.user.discord_id,
                activity=data.activity,
                units=data.units,
                idempotency_key=data.idempotency_key,
                occurred_at=data.occurred_at,
                metadata=data.metadata or {},
                self_only=None if trusted else principal.user_id,
                api_key_id=principal.api_key_id if trusted else None,
            )
        )
        # Postgres's JSON goes out as it came: the XPAward shape, documented by the annotation.
        return cast("Response[XPAward]", json_response(body, status_code=200 if replayed else 201))

    @post(
        "/admin/xp/adjustments",
        guards=[requires_admin],
        status_code=201,
        responses=documented(answers.XPAward, "The compensating event", 201)
        | documented(answers.XPAward, "The idempotency key was used before: the original answer, `replayed: true`"),
    )
    async def adjust(self, request: Request[Any, Any, Any], data: AdjustmentCreate) -> Response[XPAward]:
        """Compensating event (the only way to negative XP), written by an admin."""
        answer = await request.app.state.db.fetchval(
            sql.ADJUST,
            _principal(request).user_id,
            data.user_id,
            data.xp,
            data.reason,
            data.idempotency_key or uuid.uuid4().hex,
            data.mode,
        )
        award = msgspec.convert(answer, XPAward)
        return Response(award, status_code=200 if award.replayed else 201)

    @get("/levels")
    async def levels(self, request: Request[Any, Any, Any]) -> list[answers.Level]:
        return await request.app.state.db.fetchval(sql.LEVELS)  # type: ignore[no-any-return]

    @get("/layers")
    async def layers(self, request: Request[Any, Any, Any]) -> list[answers.Layer]:
        return await request.app.state.db.fetchval(sql.LAYERS)  # type: ignore[no-any-return]

    @get("/activities")
    async def activities(self, request: Request[Any, Any, Any]) -> list[answers.Activity]:
        return await request.app.state.db.fetchval(sql.ACTIVITIES)  # type: ignore[no-any-return]

    @get("/users/me/profile", guards=[requires_user], responses=documented(answers.Profile, "The caller's XP profile"))
    async def profile(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """`{user, total_xp, level, level_progress, modes:{reality, cyber}, season:{id, reality, cyber}}`."""
        return json_response(await request.app.state.db.fetchval(sql.PROFILE, _principal(request).user_id))

    @get("/users/me/xp", guards=[requires_user])
    async def events(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        cursor: BigintCursor = None,
    ) -> answers.XPEventPage:
        return await request.app.state.db.fetchval(  # type: ignore[no-any-return]
            sql.EVENTS_PAGE, _principal(request).user_id, cursor, limit
        )


class ActivityCreate(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    xp_per_unit: Decimal
    mode: Annotated[str, msgspec.Meta(pattern=r"^(reality|cyber)$")]
    daily_cap_units: Decimal | None = None
    self_report: bool = False
    active: bool = True


class ActivityUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | None = None
    unit: str | None = None
    xp_per_unit: Decimal | None = None
    daily_cap_units: Decimal | None = None
    self_report: bool | None = None
    active: bool | None = None


class ActivityAdminController(Controller):
    path = "/api/v1/admin/activities"
    tags = ["xp", "admin"]
    guards = [requires_admin]

    @post("/", status_code=201)
    async def create_activity(self, request: Request[Any, Any, Any], data: ActivityCreate) -> answers.Activity:
        return await request.app.state.db.fetchval(sql.ACTIVITY_CREATE, msgspec.to_builtins(data))  # type: ignore[no-any-return]

    @patch("/{key:str}")
    async def update(self, request: Request[Any, Any, Any], key: str, data: ActivityUpdate) -> answers.Activity:
        return await request.app.state.db.fetchval(sql.ACTIVITY_UPDATE, key, msgspec.to_builtins(data))  # type: ignore[no-any-return]
