"""Leagues (docs/leagues.md): each mode's tiers, and the caller's cohort this season."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from src.answers import documented
from src.db import Database, json_response
from src.guards import requires_user
from src.leagues import answers, calls


class LeaguesController(Controller):
    path = "/api/v1/leagues"
    tags = ["leagues"]

    @get("/{mode:str}/tiers", responses=documented(answers.Tiers, "The mode's league tiers, bottom first"))
    async def league_tiers(self, replica: Database, mode: str) -> Response[bytes]:
        """The mode's tiers, bottom first: cohort size, promotion and demotion shares, the
        minimum cohort for zones, and the coin rewards by rank band."""
        return json_response(await calls.tiers(replica, mode))

    @get(
        "/{mode:str}/me",
        guards=[requires_user],
        responses=documented(answers.MyLeague, "The caller's tier, cohort, rank, zones and cohort members"),
    )
    async def my_league(self, request: Request[Any, Any, Any], db: Database, mode: str) -> Response[bytes]:
        """The caller's league this season: tier, cohort, rank, the promotion and demotion zones
        and every member of the cohort, ranked live by season XP."""
        return json_response(await calls.me(db, mode, request.user.user_id))
