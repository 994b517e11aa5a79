"""Seasons and leaderboards."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from src.answers import Answer, Mode
from src.users.answers import UserSummary

SeasonStatus = Literal["upcoming", "active", "closed"]


class Season(Answer):
    """A monthly season in UTC (`seasons.season_json`); `closed_at` once its standings are frozen."""

    id: str
    starts_at: datetime
    ends_at: datetime
    status: SeasonStatus
    closed_at: datetime | None


class LeaderboardEntry(Answer):
    """One board line (`seasons.board_entry`)."""

    rank: int
    user: UserSummary
    xp: int
    level: int


class LeaderboardPage(Answer):
    """A page of a season board, exact ranks, live (`seasons.leaderboard`)."""

    season: Season
    mode: Mode
    generated_at: datetime
    entries: list[LeaderboardEntry]
    next_cursor: str | None


class AllTimeBoard(Answer):
    """A page of the all-time board by total XP (`seasons.all_time`)."""

    board: Literal["all-time"]
    generated_at: datetime
    entries: list[LeaderboardEntry]
    next_cursor: str | None


class AroundMe(Answer):
    """The caller's rank and the users around them (`seasons.around`): from the board's rank
    snapshot (`generated_at`), or a closed season's final standings. Rank null and no entries
    without XP this season; `generated_at` is then absent."""

    xp: int
    rank: int | None
    season: Season
    mode: Mode
    entries: list[LeaderboardEntry]
    generated_at: datetime | None = None
