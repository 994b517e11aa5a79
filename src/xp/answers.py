"""XP: awards, the ledger page, activities, the level curve, layers and the profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from src.answers import Answer, Mode
from src.users.answers import UserSummary

Source = Literal["activity", "self_report", "bot", "challenge", "adjustment", "purchase", "quest"]


class ModeState(Answer):
    """XP, level and layer in one mode."""

    xp: int
    level: int
    layer: str | None


class Modes(Answer):
    reality: ModeState
    cyber: ModeState


class XPAward(Answer):
    """The result of one award (`xp.book`), stored with it and answered again, with
    `replayed: true`, for the same idempotency key: POST /xp/events, POST /admin/xp/adjustments."""

    event_id: int
    user_id: uuid.UUID
    xp_awarded: int
    capped: bool
    mode: Mode | None
    total_xp: int
    level: int
    leveled_up: bool
    modes: Modes
    season_id: str
    season_xp: int
    replayed: bool


class XPEvent(Answer):
    """One ledger row: an award, a challenge's XP or an admin's compensating event."""

    id: int
    activity: str | None
    source: Source
    mode: Mode | None
    units: float | None
    xp: int
    occurred_at: datetime
    created_at: datetime
    metadata: dict[str, Any]


class XPEventPage(Answer):
    """GET /users/me/xp: the caller's XP events, newest first (`next_cursor` null at the end)."""

    items: list[XPEvent]
    next_cursor: str | None


class Activity(Answer):
    """An activity type XP is awarded for: XP = floor(units x xp_per_unit), capped per UTC day."""

    key: str
    name: str
    unit: str
    xp_per_unit: float
    mode: Mode
    daily_cap_units: float | None
    self_report: bool
    active: bool


class Level(Answer):
    """One step of the level curve: the total XP that reaches `level`."""

    level: int
    xp_required: int


class Layer(Answer):
    """A layer of a mode, reached at `min_level` of that mode."""

    code: str
    name: str
    mode: Mode
    min_level: int
    position: int


class LevelProgress(Answer):
    """Where the total XP stands within its level; the next level's fields are null at the top."""

    level_xp: int
    next_level_xp: int | None
    xp_into_level: int
    xp_to_next: int | None


class SeasonStanding(Answer):
    """XP and rank in a season board (`xp.season_standing`): rank null without XP this season.
    `generated_at` is the rank snapshot's time, absent when the user has no XP this season."""

    xp: int
    rank: int | None
    generated_at: datetime | None = None


class ProfileSeason(Answer):
    id: str
    reality: SeasonStanding
    cyber: SeasonStanding


class Profile(Answer):
    """GET /users/me/profile (`xp.profile`)."""

    user: UserSummary
    total_xp: int
    level: int
    level_progress: LevelProgress
    modes: Modes
    season: ProfileSeason
