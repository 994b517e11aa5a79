"""Achievements, streaks and quests (docs/engagement.md): the caller's progress, a user's public
unlocks, the caller's streaks and the check-in, the caller's quests of the day and week, and the
operators' definitions. Progress itself moves in SQL, in the transaction of each award,
completion and purchase; these routes only read it, edit the rules, and count a check-in."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import NotFoundException

from src.answers import Mode, documented
from src.db import Database, Document, json_response
from src.engagement import answers, calls
from src.guards import requires_admin, requires_user
from src.limits import check_json_object
from src.problems import with_code

log = logging.getLogger("xpcore.engagement")


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: answers.RuleKind
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class TierIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    threshold: Annotated[float, msgspec.Meta(gt=0, le=1e12)]


class AchievementUpsert(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    rule: RuleIn
    tiers: Annotated[list[TierIn], msgspec.Meta(min_length=1, max_length=10)]
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    icon: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    mode: Mode | None = None
    hidden: bool = False
    reward_coins: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    active: bool = True


class QuestGoalIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: answers.QuestKind
    target: Annotated[float, msgspec.Meta(gt=0, le=1e9)]
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class QuestUpsert(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    period: answers.QuestPeriod
    goal: QuestGoalIn
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    icon: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    mode: Mode | None = None
    reward_xp: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    reward_coins: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    weight: Annotated[float, msgspec.Meta(gt=0, le=1000)] = 1
    active: bool = True


class UserAchievementsController(Controller):
    path = "/api/v1/users"
    tags = ["achievements"]

    @get(
        "/me/achievements",
        guards=[requires_user],
        responses=documented(answers.MyAchievements, "The caller's achievements"),
    )
    async def my_achievements(self, request: Request[Any, Any, Any], db: Database) -> Response[bytes]:
        """Unlocked (newest first) and in progress, each with its tiers and the percent toward
        the next; hidden achievements only once unlocked."""
        return json_response(await calls.for_user(db, request.user.user_id))

    @get(
        "/{username:str}/achievements",
        responses=documented(list[answers.PublicAchievement], "The user's unlocked achievements"),
    )
    async def public_achievements(self, replica: Database, username: str) -> Response[bytes]:
        """What the user unlocked, at its highest tier, newest first; 404 for an unknown user."""
        return json_response(await calls.public_for(replica, username))


class AchievementAdminController(Controller):
    path = "/api/v1/admin/achievements"
    tags = ["achievements", "admin"]
    guards = [requires_admin]

    @get("/", responses=documented(list[answers.Achievement], "Every achievement, retired ones too"))
    async def list_achievements(self, db: Database) -> Response[bytes]:
        """Every achievement's definition, by key."""
        return json_response(await calls.admin_list(db))

    @post("/", status_code=201, responses=documented(answers.Achievement, "The achievement, saved", 201))
    async def upsert_achievement(
        self, request: Request[Any, Any, Any], db: Database, data: AchievementUpsert
    ) -> Document:
        """Create or replace an achievement by key, with its tiers (progress and unlocks are kept).
        A new rule or changed tiers are back-filled from the ledger by a job (a cron sweep
        finishes it if the job cannot be queued)."""
        check_json_object(data.rule.params, "rule.params")
        saved = await calls.upsert(db, msgspec.to_builtins(data))
        try:
            await request.app.state.queue.enqueue(
                "backfill_achievement", achievement=data.key, timeout=3600, retries=5, key=f"backfill:{data.key}"
            )
        except Exception as exc:  # Redis down: the sweep back-fills it
            log.warning("back-fill of %s not queued (%s); the sweep will run it", data.key, type(exc).__name__)
        return saved

    @delete("/{key:str}", status_code=204)
    async def retire_achievement(self, db: Database, key: str) -> None:
        """Retire an achievement: no more progress; what was unlocked stays."""
        if not await calls.deactivate(db, key):
            raise with_code(NotFoundException(f"no achievement {key}"), "engage.unknown_achievement")


class StreaksController(Controller):
    path = "/api/v1/users/me/streaks"
    tags = ["streaks"]
    guards = [requires_user]

    @get("/", responses=documented(answers.StreakSet, "The caller's streak in each mode"))
    async def my_streaks(self, request: Request[Any, Any, Any], db: Database) -> Response[bytes]:
        """Each mode's daily streak in the caller's time zone: current and longest run, freezes,
        the last active day, whether today counts yet and whether the run is at risk."""
        return json_response(await calls.streaks_for(db, request.user.user_id))

    @post(
        "/{mode:str}/check-in",
        status_code=200,
        responses=documented(answers.StreakCheckIn, "Today counts for the mode's streak"),
    )
    async def check_in(self, request: Request[Any, Any, Any], db: Database, mode: str) -> Response[bytes]:
        """Count today (the caller's local day) for the mode's streak, with no XP: for apps that
        have no activities to award. Once a day: again, `counted` is false and nothing changes."""
        return json_response(await calls.streak_check_in(db, request.user.user_id, mode))


class UserQuestsController(Controller):
    path = "/api/v1/users/me/quests"
    tags = ["quests"]

    @get("/", guards=[requires_user], responses=documented(answers.MyQuests, "The caller's current quests"))
    async def my_quests(self, request: Request[Any, Any, Any], db: Database) -> Response[bytes]:
        """Today's and this week's quests in the caller's time zone, with progress and when each
        expires; the period's quests are drawn on its first award or read."""
        return json_response(await calls.quests_for(db, request.user.user_id))


class QuestAdminController(Controller):
    path = "/api/v1/admin/quests"
    tags = ["quests", "admin"]
    guards = [requires_admin]

    @get("/", responses=documented(list[answers.QuestDefinition], "Every quest of the pool, retired ones too"))
    async def list_quests(self, db: Database) -> Response[bytes]:
        """Every quest's definition, by period and key."""
        return json_response(await calls.quest_admin_list(db))

    @post("/", status_code=201, responses=documented(answers.QuestDefinition, "The quest, saved", 201))
    async def upsert_quest(self, db: Database, data: QuestUpsert) -> Document:
        """Create or replace a quest of the pool by key. Quests already drawn keep their goal and
        reward; the change applies from the next period."""
        check_json_object(data.goal.params, "goal.params")
        return await calls.quest_upsert(db, msgspec.to_builtins(data))

    @delete("/{key:str}", status_code=204)
    async def retire_quest(self, db: Database, key: str) -> None:
        """Retire a quest: drawn no more, and open assignments of current periods go."""
        if not await calls.quest_deactivate(db, key):
            raise with_code(NotFoundException(f"no quest {key}"), "engage.unknown_quest")
