"""Seasons and leaderboards (api.md): monthly seasons, reality/cyber boards, the caller's rank
and neighbours, and the all-time board. Pages are keyset-paginated (`limit`, `cursor`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from src.answers import documented
from src.db import Database, Document, json_response
from src.guards import requires_user
from src.replicas import as_of
from src.seasons import answers, calls

Limit = Annotated[int, Parameter(ge=1, le=100)]
Cursor = Annotated[str | None, Parameter(max_length=200)]
SEASON_PATTERN = r"^(current|[0-9]{4}-[0-9]{2})$"
Season = Annotated[str, Parameter(pattern=SEASON_PATTERN)]
AROUND_DEFAULT, AROUND_MAX = 5, 50  # around-me's neighbours each side (src/fast_lane.py reads these too)


class SeasonsController(Controller):
    path = "/api/v1"
    tags = ["seasons"]

    @get("/seasons", responses=documented(list[answers.Season], "Every season, newest first"))
    async def seasons(self, replica: Database) -> list[Document]:
        """Every season, newest first: `[{id, starts_at, ends_at, status}]`."""
        return await calls.seasons_list(replica)

    @get("/seasons/{season_id:str}", responses=documented(answers.Season, "The season"))
    async def season(self, replica: Database, season_id: Season) -> Document:
        """One season (`current` is the active one)."""
        return await calls.season(replica, season_id)

    @get(
        "/seasons/{season_id:str}/leaderboards/{mode:str}",
        responses=documented(answers.LeaderboardPage, "A page of the season board, exact ranks"),
    )
    async def leaderboard(
        self, replica: Database, season_id: Season, mode: str, limit: Limit = 20, cursor: Cursor = None
    ) -> Response[bytes]:
        """A page of a season board, exact ranks, live:
        `{season, mode, generated_at, entries:[{rank, user, xp, level}], next_cursor}`."""
        return json_response(as_of(await calls.leaderboard(replica, season_id, mode, cursor, limit), replica))

    @get(
        "/seasons/{season_id:str}/leaderboards/{mode:str}/me",
        guards=[requires_user],
        responses=documented(answers.AroundMe, "The caller's rank and the users around them"),
    )
    async def around_me(
        self,
        request: Request[Any, Any, Any],
        replica: Database,
        season_id: Season,
        mode: str,
        around: Annotated[int, Parameter(ge=0, le=AROUND_MAX)] = AROUND_DEFAULT,
    ) -> Response[bytes]:
        """The caller's rank (null without XP this season) and the users around them:
        `{rank, xp, generated_at, entries:[...]}`. On a replica, from the board's logged copy
        of the rank snapshot (xp.publish_replica_board), exact as of its `generated_at`; after
        the caller's own write, the primary, shared with other callers' reads (src/read_batcher.py)."""
        reads = request.app.state.around_reads
        return json_response(await reads.read_on(replica, season_id, mode, request.user.user_id, around))

    @get("/leaderboards/all-time", responses=documented(answers.AllTimeBoard, "A page of the all-time board"))
    async def all_time(self, replica: Database, limit: Limit = 20, cursor: Cursor = None) -> Response[bytes]:
        """The all-time board by total XP."""
        return json_response(as_of(await calls.all_time(replica, cursor, limit), replica))
