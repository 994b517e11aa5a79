"""XP, levels, layers and the user's own profile (api.md: XP, levels, layers; Users).

Thin: the award rules (caps, levels, layers, seasons, idempotency, self-report) are all in
`xp.award_event`; this module authenticates, validates the shape and makes one call.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.exceptions import ValidationException
from litestar.params import Parameter

from src.answers import documented
from src.auth.principal import Principal
from src.db import Database, Document, json_response
from src.guards import requires_admin, requires_user, requires_user_or_scope
from src.limits import BigintCursor, check_decimal, check_json_object
from src.problems import with_code
from src.xp import answers, calls
from src.xp.batcher import Award, AwardBatcher

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


class AdjustmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    xp: Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
    idempotency_key: Key | None = None
    mode: Annotated[str, msgspec.Meta(pattern=r"^(reality|cyber)$")] | None = None


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


def award_of(data: XPEventCreate, principal: Principal) -> Award:
    """The award a valid request asks for (raises ValidationException for one that is not):
    the route below and the fast lane (src/fast_lane.py) share it."""
    if (data.user.id is None) == (data.user.discord_id is None):
        raise with_code(ValidationException("user needs exactly one of id or discord_id"), "users.one_reference_needed")
    check_decimal(data.units, "units")
    check_json_object(data.metadata, "metadata")
    return Award(
        user_id=data.user.id,
        discord_id=data.user.discord_id,
        activity=data.activity,
        units=data.units,
        idempotency_key=data.idempotency_key,
        occurred_at=data.occurred_at,
        metadata=data.metadata or {},
        caller_user=principal.user_id,
        caller_key=principal.api_key_id,
    )


def _principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.user
    assert isinstance(principal, Principal)
    return principal


def _user_id(request: Request[Any, Any, Any]) -> uuid.UUID:
    user_id = _principal(request).user_id
    assert user_id is not None  # the route's guard is requires_user
    return user_id


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
    async def award(
        self, request: Request[Any, Any, Any], awards: AwardBatcher, data: XPEventCreate
    ) -> Response[bytes]:
        """Award XP for an activity: an API key with `xp:write` for any user (by id or discord_id);
        a user token only for `self_report` activities on themselves. 201 with the award; 200
        with the original answer when this caller used the idempotency key before for the
        same request; 409 when it used it for a different one."""
        replayed, body = await awards.award(award_of(data, _principal(request)))
        # Postgres's JSON goes out as it came: the XPAward shape, documented in `responses`.
        return json_response(body, status_code=200 if replayed else 201)

    @post(
        "/admin/xp/adjustments",
        guards=[requires_admin],
        status_code=201,
        responses=documented(answers.XPAward, "The compensating event", 201)
        | documented(answers.XPAward, "The idempotency key was used before: the original answer, `replayed: true`"),
    )
    async def adjust(self, request: Request[Any, Any, Any], db: Database, data: AdjustmentCreate) -> Response[Document]:
        """Compensating event (the only way to negative XP), written by an admin."""
        award = await calls.adjust(
            db,
            _principal(request).user_id,
            data.user_id,
            data.xp,
            data.reason,
            data.idempotency_key or uuid.uuid4().hex,
            data.mode,
        )
        return Response(award, status_code=200 if award["replayed"] else 201)

    @get("/levels", responses=documented(list[answers.Level], "The level curve"))
    async def levels(self, replica: Database) -> list[Document]:
        return await calls.levels(replica)

    @get("/layers", responses=documented(list[answers.Layer], "The layers of both modes"))
    async def layers(self, replica: Database) -> list[Document]:
        return await calls.layers(replica)

    @get("/activities", responses=documented(list[answers.Activity], "The activity types"))
    async def activities(self, replica: Database) -> list[Document]:
        return await calls.activities(replica)

    @get("/users/me/profile", guards=[requires_user], responses=documented(answers.Profile, "The caller's XP profile"))
    async def profile(self, request: Request[Any, Any, Any], replica: Database) -> Response[bytes]:
        """`{user, total_xp, level, level_progress, modes:{reality, cyber}, season:{id, reality, cyber}}`.
        On a replica unless the caller just wrote (their own rank: xp.season_standing); on the
        primary, shared with other callers' reads (src/read_batcher.py)."""
        return json_response(await request.app.state.profile_reads.read_on(replica, _user_id(request)))

    @get("/users/me/xp", guards=[requires_user], responses=documented(answers.XPEventPage, "The caller's XP events"))
    async def events(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        cursor: BigintCursor = None,
    ) -> Document:
        return await calls.events_page(db, _user_id(request), cursor, limit)

    @post(
        "/admin/activities",
        guards=[requires_admin],
        tags=["admin"],
        status_code=201,
        responses=documented(answers.Activity, "The activity type", 201),
    )
    async def create_activity(self, db: Database, data: ActivityCreate) -> Document:
        return await calls.activity_create(db, msgspec.to_builtins(data))

    @patch(
        "/admin/activities/{key:str}",
        guards=[requires_admin],
        tags=["admin"],
        responses=documented(answers.Activity, "The activity type, changed"),
    )
    async def update(self, db: Database, key: str, data: ActivityUpdate) -> Document:
        return await calls.activity_update(db, key, msgspec.to_builtins(data))
