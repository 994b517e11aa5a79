"""Leagues: the tiers of a mode and the caller's cohort standing."""

from __future__ import annotations

from datetime import datetime

from src.answers import Answer, Mode
from src.users.answers import UserSummary


class RewardBand(Answer):
    """Coins for a final rank from `from_rank` to `to_rank` in a cohort of the tier."""

    from_rank: int
    to_rank: int
    coins: int


class LeagueTier(Answer):
    """A league tier (`leagues.tier_json`): position 1 is the bottom; percentages as fractions."""

    position: int
    code: str
    name: str
    cohort_size: int
    promote_pct: float
    demote_pct: float
    min_members: int
    rewards: list[RewardBand]


class Tiers(Answer):
    """The mode's tiers, bottom first (`leagues.tiers`)."""

    mode: Mode
    tiers: list[LeagueTier]


class Zone(Answer):
    """A band of ranks, both ends included."""

    from_rank: int
    to_rank: int


class LeagueMember(Answer):
    """One line of a cohort's standings."""

    rank: int
    xp: int
    user: UserSummary


class MyLeague(Answer):
    """The caller's league this season (`leagues.me`), ranked live at `generated_at` by season
    XP (xp desc, reached_at, user id). Before their first XP in the mode: the tier they will
    join, `cohort_id`, `rank`, `promotion` and `demotion` null, no members. A zone is null when
    the cohort has fewer than the tier's `min_members`, or at the top (promotion) or bottom
    (demotion) tier."""

    season_id: str
    mode: Mode
    tier: LeagueTier | None
    cohort_id: int | None
    rank: int | None
    xp: int
    promotion: Zone | None
    demotion: Zone | None
    members: list[LeagueMember]
    generated_at: datetime
