"""Coding challenges, for players, the judge and admins."""

from __future__ import annotations

from typing import Literal

from src.answers import Answer

ChallengeStatus = Literal["locked", "unlocked", "completed"]


class ChallengeSummary(Answer):
    """A challenge in the player's list (`challenges.list_for`); `stars` once completed."""

    slug: str
    title: str
    order: int
    xp_reward: int
    coin_reward: int
    status: ChallengeStatus
    stars: int | None


class ChallengeDetail(ChallengeSummary):
    """One challenge for a player (`challenges.get_for`), never its hidden tests."""

    description: str
    starter_code: str
    target_time_s: int


class JudgeChallenge(Answer):
    """What the judge needs (`challenges.judge_view`): the challenge with its hidden tests."""

    slug: str
    title: str
    order: int
    starter_code: str
    tests: str
    target_time_s: int
    active: bool


class CompletionResult(Answer):
    """The judge's verdict recorded (`challenges.complete`); `failed` counts an attempt only."""

    status: Literal["completed", "already_completed", "failed"]
    xp_awarded: int
    stars: int | None
    next_slug: str | None


class ChallengeSaved(Answer):
    """POST /admin/challenges (`challenges.upsert`)."""

    slug: str
    order: int
    xp_reward: int


class ChallengeUpdated(ChallengeSaved):
    """PATCH /admin/challenges/{slug} (`challenges.patch`)."""

    active: bool
