"""The data of each Server-Sent Event the live streams send (docs/live.md). Every event's
`data:` line is one of these as JSON; its `event:` line names it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from src.answers import Answer, Mode
from src.seasons.answers import LeaderboardEntry, Season


class StreamReady(Answer):
    """`ready`: the first event of every stream, sent once the process listens for its
    updates; anything written after it arrives on the stream."""

    stream: Literal["user", "board"]
    heartbeat_s: int


class RankChange(Answer):
    """`rank`: a published snapshot of a current-season board put the user at a rank other
    than the last one this stream sent (the first snapshot after connecting always sends it)."""

    season_id: str
    mode: Mode
    rank: int
    xp: int
    generation: int
    generated_at: datetime


class BoardTop(Answer):
    """`board`: the top `limit` lines of the board, sent each time a snapshot of it is published."""

    season: Season
    mode: Mode
    generation: int
    generated_at: datetime
    entries: list[LeaderboardEntry]


class StreamResync(Answer):
    """`resync`: events may have been missed (this client read too slowly and its queue was
    dropped, or the process lost its database listener): reload over REST."""

    reason: Literal["overflow", "listener_lost"]
