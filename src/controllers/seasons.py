"""Seasons and leaderboards (api.md): monthly seasons, reality/cyber boards, the caller's rank
and neighbours, and the all-time board. Pages are keyset-paginated (`limit`, `cursor`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from src.answers import documented
from src.answers import seasons as answers
from src.db import json_response
from src.guards import requires_user
from src.sql import seasons as sql

Limit = Annotated[int, Parameter(ge=1, le=100)]
Cursor = Annotated[str | None, Parameter(max_length=200)]
Season = Annotated[str, Parameter(pattern=r"^(current|[0-9]{4}-[0-9]{2})$")]


class SeasonsController(Controller):
    path = "/api/v1"
    tags = ["seasons"]

    @get("/seasons")
    async def seasons(self, request: Request[Any, Any, Any]) -> list[answers.Season]:
        """Every season, newest first: `[{id, starts_at, ends_at, status}]`."""
        return await request.app.state.db.fetchval(sql.LIST)  # type: ignore[no-any-return]

    @get("/seasons/{season_id:str}")
    async def season(self, request: Request[Any, Any, Any], season_id: Season) -> answers.Season:
        """One season (`current` is the active one)."""
        return await request.app.state.db.fetchval(sql.GET, season_id)  # type: ignore[no-any-return]

    @get(
        "/seasons/{season_id:str}/leaderboards/{mode:str}",
        responses=documented(answers.LeaderboardPage, "A page of the season board, exact ranks"),
    )
    async def leaderboard(
        self, request: Request[Any, Any, Any], season_id: Season, mode: str, limit: Limit = 20, cursor: Cursor = None
    ) -> Response[dict[str, Any]]:
        """A page of a season board, exact ranks, live:
        `{season, mode, generated_at, entries:[{rank, user, xp, level}], next_cursor}`."""
        return json_response(await request.app.state.db.fetchval(sql.LEADERBOARD, season_id, mode, cursor, limit))

    @get(
        "/seasons/{season_id:str}/leaderboards/{mode:str}/me",
        guards=[requires_user],
        responses=documented(answers.AroundMe, "The caller's rank and the users around them"),
    )
    async def around_me(
        self,
        request: Request[Any, Any, Any],
        season_id: Season,
        mode: str,
        around: Annotated[int, Parameter(ge=0, le=50)] = 5,
    ) -> Response[dict[str, Any]]:
        """The caller's rank (null without XP this season) and the users around them:
        `{rank, xp, generated_at, entries:[...]}`."""
        return json_response(
            await request.app.state.db.fetchval(sql.AROUND, season_id, mode, request.user.user_id, around)
        )

    @get("/leaderboards/all-time")
    async def all_time(
        self, request: Request[Any, Any, Any], limit: Limit = 20, cursor: Cursor = None
    ) -> answers.AllTimeBoard:
        """The all-time board by total XP."""
        return await request.app.state.db.fetchval(sql.ALL_TIME, cursor, limit)  # type: ignore[no-any-return]
