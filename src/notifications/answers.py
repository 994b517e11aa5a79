"""The in-app feed and push devices."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from src.answers import Answer

Kind = Literal[
    "level_up",
    "layer_up",
    "season_final_standing",
    "purchase_completed",
    "payment_credited",
    "broadcast",
    "challenge_completed",
    "achievement_unlocked",
    "league_result",
    "streak_milestone",
    "quest_completed",
]


class Notification(Answer):
    """One feed item; `data` holds what the kind needs (level, layer, item, ...)."""

    id: int
    kind: Kind
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class Feed(Answer):
    """GET /notifications (`notify.feed`): newest first; `unread_count` counts them all."""

    items: list[Notification]
    unread_count: int
    next_cursor: str | None


class Device(Answer):
    """A registered push device (`notify.device_register`)."""

    token: str
    platform: Literal["android", "ios", "web"]
    created_at: datetime
    last_seen_at: datetime
