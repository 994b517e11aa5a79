"""Achievements: a player's progress, a public profile's unlocks, the operators' definitions;
streaks: a player's daily streak per mode."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from src.answers import Answer, Mode

RuleKind = Literal[
    "total_xp",
    "mode_xp",
    "level",
    "layer",
    "activity_events",
    "activity_units",
    "challenges_completed",
    "challenge_stars",
    "season_rank",
    "purchases",
    "streak",
]


class Rule(Answer):
    """What moves an achievement's progress: a kind and its params (`activity`, `stars`)."""

    kind: RuleKind
    params: dict[str, Any]


class Tier(Answer):
    """One tier (bronze, silver, ...): reached at `threshold` (at or below it for season_rank)."""

    tier: int
    name: str
    threshold: float


class AchievementFace(Answer):
    """What every view of an achievement shows: who it is and what it pays."""

    key: str
    name: str
    description: str
    icon: str | None
    mode: Mode | None
    hidden: bool
    reward_coins: int


class Achievement(AchievementFace):
    """An achievement as operators define it (`engage.achievement_json`)."""

    active: bool
    rule: Rule
    tiers: list[Tier]
    created_at: datetime
    updated_at: datetime


class TierProgress(Tier):
    """A tier of the caller's achievement, with when it was unlocked (null: not yet)."""

    unlocked_at: datetime | None


class AchievementProgress(AchievementFace):
    """One achievement for the caller: `value` so far, `tier` the highest unlocked (0: none),
    `percent` toward the next tier (100 once all are unlocked)."""

    kind: RuleKind
    value: float
    tier: int
    next_threshold: float | None
    percent: int
    tiers: list[TierProgress]
    unlocked_at: datetime | None


class MyAchievements(Answer):
    """GET /users/me/achievements (`engage.for_user`): hidden ones only once unlocked."""

    unlocked: list[AchievementProgress]
    in_progress: list[AchievementProgress]


class PublicAchievement(Answer):
    """An achievement a user unlocked, at its highest tier (`engage.public_for`)."""

    key: str
    name: str
    description: str
    icon: str | None
    mode: Mode | None
    tier: int
    tier_name: str
    unlocked_at: datetime


class Streak(Answer):
    """One mode's daily streak (`engage.streak_json`), as the close job will leave it: days missed
    before today have spent freezes, or ended the run. `last_day`: the last local day with a
    qualifying event or check-in (null: never). `at_risk`: a live run that ends if today passes
    with nothing (no freeze left to cover it)."""

    mode: Mode
    current: int
    longest: int
    freezes: int
    freezes_max: int
    last_day: date | None
    today_done: bool
    at_risk: bool


class StreakSet(Answer):
    """GET /users/me/streaks (`engage.streaks_for`): the caller's time zone, local date, and each
    mode's streak, reality then cyber."""

    timezone: str
    today: date
    streaks: list[Streak]


class StreakCheckIn(Answer):
    """POST /users/me/streaks/{mode}/check-in (`engage.streak_check_in`): `counted` is false when
    today already counted (nothing changed)."""

    counted: bool
    streak: Streak


# Quests (docs/engagement.md, Quests): daily and weekly goals drawn from a pool per user.

QuestKind = Literal["total_xp", "mode_xp", "activity_events", "activity_units", "challenges_completed"]
QuestPeriod = Literal["daily", "weekly"]


class QuestGoal(Answer):
    """What completes a quest: events of the period add to `kind` (params: `activity`) up to `target`."""

    kind: QuestKind
    params: dict[str, Any]
    target: float


class QuestFace(Answer):
    """What every view of a quest shows: who it is, its period and what it pays."""

    key: str
    name: str
    description: str
    icon: str | None
    period: QuestPeriod
    mode: Mode | None
    goal: QuestGoal
    reward_xp: int
    reward_coins: int


class QuestDefinition(QuestFace):
    """A quest of the pool as operators define it (`engage.quest_json`); `weight` is its share of the draw."""

    weight: float
    active: bool
    created_at: datetime
    updated_at: datetime


class Quest(QuestFace):
    """One of the caller's quests of the current period: `progress` toward the goal's target,
    `percent` (100 once completed), and when the period ends (`expires_at`, local midnight)."""

    period_key: str
    progress: float
    percent: int
    completed: bool
    completed_at: datetime | None
    starts_at: datetime
    expires_at: datetime


class MyQuests(Answer):
    """GET /users/me/quests (`engage.quests_for`): the current daily and weekly quests, in the
    caller's time zone."""

    timezone: str
    daily: list[Quest]
    weekly: list[Quest]
