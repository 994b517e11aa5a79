"""The JSON PostgreSQL builds is exactly the Struct the API documents (`src/<area>/answers.py`).

Every db function that builds an answer runs here on real data made through the real functions,
and its output is converted into its Struct with `strict=True`; the Structs forbid unknown
fields, so a key added, renamed or dropped in SQL (or a type changed) fails here instead of
drifting away from the OpenAPI document. `test_every_answer_function_is_covered` keeps this
list complete: a new json/jsonb function in an answer-building schema must be added to
ANSWERS or, with the reason, to INTERNAL.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from src.auth.answers import ApiKey
from src.challenges.answers import (
    ChallengeDetail,
    ChallengeSaved,
    ChallengeSummary,
    ChallengeUpdated,
    CompletionResult,
    JudgeChallenge,
)
from src.engagement.answers import (
    Achievement,
    MyAchievements,
    MyQuests,
    PublicAchievement,
    QuestDefinition,
    Streak,
    StreakCheckIn,
    StreakSet,
)
from src.leagues.answers import LeagueTier, MyLeague, Tiers
from src.notifications.answers import Device, Feed
from src.seasons.answers import AllTimeBoard, AroundMe, LeaderboardEntry, LeaderboardPage, Season
from src.store.answers import CoinCredit, CoinPack, Item, OwnedItem, Purchase, Unequipped, Wallet
from src.users.answers import PublicProfile, Session, User
from src.xp.answers import Activity, Layer, Level, Profile, SeasonStanding, XPAward, XPEventPage

# The schemas whose functions build what the API answers.
ANSWER_SCHEMAS = ("app", "auth", "xp", "seasons", "store", "challenges", "notify", "engage", "leagues")

# db function -> the Struct its json/jsonb answer is.
ANSWERS: dict[str, Any] = {
    "app.user_public": PublicProfile,
    "app.user_me": User,
    "app.user_lookup": User,
    "app.user_update": User,
    "app.user_grant_role": User,
    "auth.user_json": User,
    "auth.oauth_login": User,
    "auth.sessions_list": list[Session],
    "auth.api_key_create": ApiKey,
    "auth.api_keys_list": list[ApiKey],
    "xp.award": XPAward,
    "xp.award_event": XPAward,
    "xp.award_fixed": XPAward,
    "xp.adjust": XPAward,
    "xp.book": XPAward,
    "xp.events_page": XPEventPage,
    "xp.activities": list[Activity],
    "xp.activity_create": Activity,
    "xp.activity_update": Activity,
    "xp.levels": list[Level],
    "xp.layers": list[Layer],
    "xp.profile": Profile,
    "xp.season_standing": SeasonStanding,
    "seasons.list": list[Season],
    "seasons.season_json": Season,
    "seasons.board_entry": LeaderboardEntry,
    "seasons.leaderboard": LeaderboardPage,
    "seasons.all_time": AllTimeBoard,
    "seasons.around": AroundMe,
    "store.item_json": Item,
    "store.items": list[Item],
    "store.coin_packs": list[CoinPack],
    "store.credit_coins": CoinCredit,
    "store.purchase": Purchase,
    "store.equip": Item,
    "store.unequip": Unequipped,
    "store.inventory": list[OwnedItem],
    "store.wallet": Wallet,
    "challenges.list_for": list[ChallengeSummary],
    "challenges.get_for": ChallengeDetail,
    "challenges.judge_view": JudgeChallenge,
    "challenges.complete": CompletionResult,
    "challenges.upsert": ChallengeSaved,
    "challenges.patch": ChallengeUpdated,
    "notify.device_register": Device,
    "notify.feed": Feed,
    "engage.achievement_json": Achievement,
    "engage.admin_list": list[Achievement],
    "engage.upsert": Achievement,
    "engage.for_user": MyAchievements,
    "engage.public_for": list[PublicAchievement],
    "engage.streak_json": Streak,
    "engage.streaks_for": StreakSet,
    "engage.streak_check_in": StreakCheckIn,
    "engage.quest_json": QuestDefinition,
    "engage.quest_admin_list": list[QuestDefinition],
    "engage.quest_upsert": QuestDefinition,
    "engage.quests_for": MyQuests,
    "leagues.tiers": Tiers,
    "leagues.tier_json": LeagueTier,
    "leagues.me": MyLeague,
}

# json/jsonb functions whose output no client sees as it is, and why.
INTERNAL: dict[str, str] = {
    "auth.otp_verify": "a status POST /auth/login reads; it answers a TokenPair (the `user` is checked below)",
    "auth.refresh_rotate": "a status POST /auth/refresh reads; it answers a TokenPair (the `user` is checked below)",
    "auth.api_key_revoke": "DELETE /admin/api-keys/{id} answers 204",
    "store.order_create": "POST /payments/orders answers an Order built in Python from it and Razorpay's order",
    "store.payment_credit": "POST /payments/verify answers Credited built in Python; the webhook answers WebhookAck",
    "store.payment_refund": "the webhook reads it and answers WebhookAck",
    "xp.level_progress": "answered inside Profile.level_progress (without its `level`), checked there",
    "seasons.final_standing": "no caller in the API or the jobs",
    "auth.oauth_link": "a status the link callback reads; it answers a 302 redirect",
}


class Shapes:
    """Calls answer functions and converts what they return into their Structs."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.checked: set[str] = set()

    async def check(self, function: str, sql: str, *args: Any) -> Any:
        assert function in sql, (function, sql)
        value = await self.conn.fetchval(sql, *args)
        assert value is not None, f"{function} answered null"
        shape = ANSWERS[function]
        if getattr(shape, "__origin__", None) is list:
            assert value, f"{function} answered an empty list: nothing to check"
        try:
            msgspec.convert(value, shape, strict=True)
        except msgspec.ValidationError as error:
            raise AssertionError(f"{function} does not answer {shape}: {error}\n{value!r}") from None
        self.checked.add(function)
        return value

    def covered(self, *schemas: str) -> None:
        expected = {name for name in ANSWERS if name.split(".")[0] in schemas}
        assert self.checked == expected, f"not checked: {sorted(expected - self.checked)}"


@pytest.fixture
def shapes(conn) -> Shapes:
    return Shapes(conn)


async def _user(conn, **fields: Any) -> dict[str, Any]:
    name = f"shape{uuid.uuid4().hex[:10]}"
    return await conn.fetchval(  # type: ignore[no-any-return]
        "insert into app.users as u (username, email, discord_id) values ($1, $2, $3) returning auth.user_json(u)",
        name,
        f"{name}@example.com",
        fields.get("discord_id"),
    )


def _key() -> str:
    return uuid.uuid4().hex


async def test_every_answer_function_is_covered(conn) -> None:
    rows = await conn.fetch(
        "select n.nspname || '.' || p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = any($1::text[]) and p.prorettype in ('json'::regtype, 'jsonb'::regtype)",
        list(ANSWER_SCHEMAS),
    )
    functions = {r["name"] for r in rows}
    unlisted = functions - ANSWERS.keys() - INTERNAL.keys()
    assert not unlisted, f"answer functions with no Struct (add to ANSWERS, or to INTERNAL with why): {unlisted}"
    gone = (ANSWERS.keys() | INTERNAL.keys()) - functions
    assert not gone, f"listed but no longer a json/jsonb function: {gone}"
    assert not ANSWERS.keys() & INTERNAL.keys()


async def test_users_and_auth(conn, shapes: Shapes) -> None:
    user = await _user(conn, discord_id=f"d{uuid.uuid4().int % 10**12}")
    uid = uuid.UUID(str(user["id"]))
    await shapes.check("auth.user_json", "select auth.user_json(u) from app.users u where u.id = $1", uid)
    await shapes.check("app.user_me", "select app.user_me($1)", uid)
    await shapes.check(
        "app.user_update",
        "select app.user_update($1, $2)",
        uid,
        {"display_name": "Shape Tester", "bio": "checks shapes", "avatar_url": "https://example.com/a.png"},
    )
    await shapes.check("app.user_lookup", "select app.user_lookup($1, null)", uid)
    await shapes.check("app.user_lookup", "select app.user_lookup(null, $1)", user["discord_id"])
    public = await shapes.check("app.user_public", "select app.user_public($1)", user["username"])
    assert public["layers"]["reality"] and public["layers"]["cyber"]  # the first layers before any XP
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 500, 'bot', $2)", uid, _key())
    await shapes.check("app.user_public", "select app.user_public($1)", user["username"])
    await shapes.check("app.user_grant_role", "select app.user_grant_role($1, 'admin')", user["email"])
    await shapes.check(
        "auth.oauth_login",
        "select auth.oauth_login('github', $1, $2, true, 'shape-hint', 'Shape Person', 'https://example.com/b.png')",
        _key(),
        f"oauth-{_key()[:8]}@example.com",
    )
    key = await shapes.check(
        "auth.api_key_create",
        "select auth.api_key_create($1, $2, $3, $4, $5)",
        "shape key",
        _key()[:12],
        b"\x00" * 32,
        ["xp:write", "users:read"],
        uid,
    )
    await conn.fetchval("select auth.api_key_revoke($1)", uuid.UUID(key["id"]))
    await shapes.check("auth.api_keys_list", "select auth.api_keys_list()")
    await conn.fetchval("select auth.refresh_issue($1, $2, 3600)", uid, b"\x02" * 32)
    await shapes.check("auth.sessions_list", "select auth.sessions_list($1)", uid)
    # Internal, but what the login answers carries: the TokenPair's user is a User.
    email = f"otp-{_key()[:8]}@example.com"
    await conn.execute("select auth.otp_store($1, $2, 600)", email, b"\x01" * 32)
    verified = await conn.fetchval("select auth.otp_verify($1, $2, 5, 900)", email, b"\x01" * 32)
    assert verified["status"] == "ok"
    msgspec.convert(verified["user"], User, strict=True)
    shapes.covered("app", "auth")


async def test_xp(conn, shapes: Shapes) -> None:
    admin, user, idle = [await _user(conn) for _ in range(3)]
    uid, admin_id, idle_id = (uuid.UUID(str(u["id"])) for u in (user, admin, idle))
    season = await conn.fetchval("select (xp.season_for(now())).id")
    key = _key()
    award = await shapes.check("xp.award", "select xp.award($1, 'run_km', 2, 'activity', $2)", uid, key)
    assert award["mode"] == "reality" and not award["replayed"]
    replay = await shapes.check("xp.award", "select xp.award($1, 'run_km', 2, 'activity', $2)", uid, key)
    assert replay["replayed"]
    await shapes.check(
        "xp.award_event",
        "select xp.award_event($1, null, 'commit', 3, $2, null, '{}'::jsonb, null)",
        uid,
        _key(),
    )
    await shapes.check(
        "xp.award_event",  # a self-reported activity, by the user themselves
        "select xp.award_event($1, null, 'pushup_standard', 20, $2, null, '{\"via\": \"app\"}'::jsonb, $1)",
        uid,
        _key(),
    )
    await shapes.check("xp.award_fixed", "select xp.award_fixed($1, 'cyber', 40, 'bot', $2)", uid, _key())
    await shapes.check("xp.book", "select xp.book($1, 'bot', $2, now(), '{}'::jsonb, 'reality', 7)", uid, _key())
    adjusted = await shapes.check(
        "xp.adjust", "select xp.adjust($1, $2, -5, 'shape check', $3, null)", admin_id, uid, _key()
    )
    assert adjusted["mode"] is None
    # The batch path answers each award as text: the same XPAward.
    rows = await conn.fetch(
        "select item, error_code, replayed, body from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8)",
        [uid, None],
        [None, "nobody-has-this-discord-id"],
        ["walk_km", "walk_km"],
        [1, 1],
        [_key(), _key()],
        [None, None],
        ["{}", "{}"],
        [None, None],
    )
    ok = [r for r in rows if r["error_code"] is None]
    assert len(ok) == 1 and len(rows) == 2
    msgspec.json.decode(ok[0]["body"], type=XPAward, strict=True)

    page = await shapes.check("xp.events_page", "select xp.events_page($1, null, 3)", uid)
    assert len(page["items"]) == 3 and page["next_cursor"] is not None
    await shapes.check("xp.events_page", "select xp.events_page($1, $2, 100)", uid, int(page["next_cursor"]))
    await shapes.check("xp.activities", "select xp.activities()")
    activity_key = f"shape_{_key()[:8]}"
    await shapes.check(
        "xp.activity_create",
        "select xp.activity_create($1)",
        {"key": activity_key, "name": "Shape", "unit": "rep", "xp_per_unit": 1.5, "mode": "cyber"},
    )
    await shapes.check(
        "xp.activity_update",
        "select xp.activity_update($1, $2)",
        activity_key,
        {"daily_cap_units": 10, "self_report": True},
    )
    await shapes.check("xp.levels", "select xp.levels()")
    await shapes.check("xp.layers", "select xp.layers()")

    # Season standings: counted live (no snapshot yet, or one without this user), from the
    # snapshot, and without XP (then no generated_at).
    await shapes.check("xp.season_standing", "select xp.season_standing($1, 'reality', $2)", season, uid)
    await shapes.check("xp.profile", "select xp.profile($1)", uid)
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    standing = await shapes.check("xp.season_standing", "select xp.season_standing($1, 'cyber', $2)", season, uid)
    assert standing["rank"] is not None and standing["generated_at"] is not None
    profile = await shapes.check("xp.profile", "select xp.profile($1)", uid)
    assert profile["season"]["reality"]["rank"] is not None
    nothing = await shapes.check("xp.season_standing", "select xp.season_standing($1, 'cyber', $2)", season, idle_id)
    assert nothing == {"xp": 0, "rank": None}  # no generated_at: see SeasonStanding
    await shapes.check("xp.profile", "select xp.profile($1)", idle_id)
    shapes.covered("xp")


async def test_seasons_and_boards(conn, shapes: Shapes) -> None:
    users = [uuid.UUID(str((await _user(conn))["id"])) for _ in range(4)]
    idle = uuid.UUID(str((await _user(conn))["id"]))
    season = await conn.fetchval("select (xp.season_for(now())).id")
    for n, user in enumerate(users):
        for mode in ("reality", "cyber"):
            await conn.fetchval("select xp.award_fixed($1, $2, $3, 'bot', $4)", user, mode, 10_000 + n, _key())
    await shapes.check("seasons.list", "select seasons.list()")
    await shapes.check("seasons.season_json", "select seasons.season_json(seasons.resolve('current'))")
    await shapes.check(
        "seasons.board_entry", "select seasons.board_entry(1, $1, 'someone', null, null, 10, null)", users[0]
    )
    for mode in ("reality", "cyber"):
        page = await shapes.check("seasons.leaderboard", "select seasons.leaderboard('current', $1, null, 2)", mode)
        assert page["entries"] and page["next_cursor"]
        await shapes.check(
            "seasons.leaderboard", "select seasons.leaderboard($1, $2, $3, 2)", season, mode, page["next_cursor"]
        )
    board = await shapes.check("seasons.all_time", "select seasons.all_time(null, 2)")
    assert board["entries"] and board["next_cursor"]
    await shapes.check("seasons.all_time", "select seasons.all_time($1, 2)", board["next_cursor"])

    # Around me: before any snapshot (rank alone), from a snapshot, with around = 0, without XP.
    await shapes.check("seasons.around", "select seasons.around($1, 'reality', $2, 2)", season, users[1])
    await conn.fetchval("select xp.rebuild_ranks($1)", season)
    around = await shapes.check("seasons.around", "select seasons.around($1, 'cyber', $2, 2)", season, users[1])
    assert around["entries"] and around["generated_at"] is not None
    await shapes.check("seasons.around", "select seasons.around('current', 'cyber', $1, 0)", users[2])
    empty = await shapes.check("seasons.around", "select seasons.around($1, 'cyber', $2, 2)", season, idle)
    assert empty["rank"] is None and empty["entries"] == [] and "generated_at" not in empty

    # A closed season answers from its final standings.
    past = await conn.fetchval("select (xp.season_for(now() - interval '40 days')).id")
    await conn.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", past)
    for n, user in enumerate(users):
        await conn.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, 'reality', $2, $3, now())"
            " on conflict (season_id, mode, user_id) do update set xp = excluded.xp",
            past,
            user,
            100 + n,
        )
    await conn.fetchval("select seasons.close($1)", past)
    closed = await shapes.check("seasons.around", "select seasons.around($1, 'reality', $2, 1)", past, users[1])
    assert closed["season"]["status"] == "closed" and closed["entries"]
    await shapes.check("seasons.leaderboard", "select seasons.leaderboard($1, 'reality', null, 2)", past)
    await shapes.check("seasons.season_json", "select seasons.season_json(seasons.resolve($1))", past)
    shapes.covered("seasons")


async def test_store(conn, shapes: Shapes) -> None:
    uid = uuid.UUID(str((await _user(conn))["id"]))
    await shapes.check(
        "store.credit_coins", "select store.credit_coins($1, 1000, 'admin', $2, '{}'::jsonb)", uid, "shape-grant"
    )
    replay = await shapes.check(
        "store.credit_coins", "select store.credit_coins($1, 1000, 'admin', $2, '{}'::jsonb)", uid, "shape-grant"
    )
    assert replay["replayed"]
    await shapes.check("store.items", "select store.items(null, null)")
    await shapes.check("store.coin_packs", "select store.coin_packs()")
    await shapes.check(
        "store.item_json", "select store.item_json(i, false, false) from store.items i where i.slug = 'frame-gold'"
    )
    await shapes.check("store.purchase", "select store.purchase($1, 'theme-midnight')", uid)
    await shapes.check("store.purchase", "select store.purchase($1, 'font-fira-code')", uid)
    await shapes.check("store.equip", "select store.equip($1, 'theme-midnight')", uid)
    await shapes.check("store.items", "select store.items($1, 'theme')", uid)
    owned = await shapes.check("store.inventory", "select store.inventory($1)", uid)
    assert {item["equipped"] for item in owned} == {True, False}
    await shapes.check("store.unequip", "select store.unequip($1, 'theme')", uid)
    await shapes.check("store.unequip", "select store.unequip($1, 'effect')", uid)
    wallet = await shapes.check("store.wallet", "select store.wallet($1, null, 2)", uid)
    assert len(wallet["events"]) == 2 and wallet["next_cursor"] is not None
    await shapes.check("store.wallet", "select store.wallet($1, $2, 20)", uid, int(wallet["next_cursor"]))
    shapes.covered("store")


async def test_challenges(conn, shapes: Shapes) -> None:
    uid = uuid.UUID(str((await _user(conn))["id"]))
    # Only this test's two challenges are active (rolled back with the test).
    await conn.execute("update challenges.challenges set active = false")
    first, second = f"shape-{_key()[:8]}", f"shape-{_key()[:8]}"
    for order, slug in ((100_001, first), (100_002, second)):
        await shapes.check(
            "challenges.upsert",
            "select challenges.upsert($1)",
            {
                "slug": slug,
                "title": f"Shape {order}",
                "order": order,
                "description": "Return the shape.",
                "starter_code": "def shape():\n    pass\n",
                "tests": "assert shape() is None\n",
                "xp_reward": 50,
                "coin_reward": 5,
            },
        )
    await shapes.check("challenges.patch", "select challenges.patch($1, $2)", second, {"target_time_s": 120})
    listed = await shapes.check("challenges.list_for", "select challenges.list_for($1)", uid)
    assert [c["status"] for c in listed] == ["unlocked", "locked"]
    await shapes.check("challenges.get_for", "select challenges.get_for($1, $2)", uid, first)
    await shapes.check("challenges.judge_view", "select challenges.judge_view($1)", first)
    failed = await shapes.check("challenges.complete", "select challenges.complete($1, $2, false, 0, null)", uid, first)
    assert failed["status"] == "failed"
    done = await shapes.check("challenges.complete", "select challenges.complete($1, $2, true, 1, 30)", uid, first)
    assert done["status"] == "completed" and done["next_slug"] == second
    again = await shapes.check("challenges.complete", "select challenges.complete($1, $2, true, 0, 30)", uid, first)
    assert again["status"] == "already_completed"
    listed = await shapes.check("challenges.list_for", "select challenges.list_for($1)", uid)
    assert [c["status"] for c in listed] == ["completed", "unlocked"] and listed[0]["stars"]
    await shapes.check("challenges.get_for", "select challenges.get_for($1, $2)", uid, first)
    shapes.covered("challenges")


async def test_notifications(conn, shapes: Shapes) -> None:
    uid = uuid.UUID(str((await _user(conn))["id"]))
    await shapes.check(
        "notify.device_register", "select notify.device_register($1, $2, 'android')", uid, f"token-{_key()}"
    )
    # Real events write the notifications: a level-up, a purchase, a broadcast.
    await conn.fetchval("select xp.award_fixed($1, 'reality', 5000, 'bot', $2)", uid, _key())
    await conn.fetchval("select store.credit_coins($1, 500, 'bonus', $2)", uid, _key())
    await conn.fetchval("select store.purchase($1, 'title-early-bird')", uid)
    broadcast = await conn.fetchval(
        "select notify.broadcast_create($1, 'Shapes', 'Everyone gets one.', '{\"url\": \"/news\"}'::jsonb)", uid
    )
    while await conn.fetchval("select notify.broadcast_batch($1, 100000)", broadcast):
        pass
    newest = await conn.fetchval("select max(id) from notify.outbox where user_id = $1", uid)
    await conn.fetchval("select notify.mark_read($1, $2)", uid, newest)
    feed = await shapes.check("notify.feed", "select notify.feed($1, false, null, 2)", uid)
    assert feed["next_cursor"] is not None and {n["read_at"] is None for n in feed["items"]} == {True, False}
    await shapes.check("notify.feed", "select notify.feed($1, false, $2, 100)", uid, int(feed["next_cursor"]))
    await shapes.check("notify.feed", "select notify.feed($1, true, null, 20)", uid)
    shapes.covered("notify")


async def test_engage(conn, shapes: Shapes) -> None:
    # The seeded achievements are inactive in the test template; these are the test's own.
    saved = await shapes.check(
        "engage.upsert",
        "select engage.upsert($1)",
        {
            "key": "shape-xp",
            "name": "Shape XP",
            "icon": "spark",
            "reward_coins": 5,
            "rule": {"kind": "total_xp", "params": {}},
            "tiers": [{"name": "bronze", "threshold": 100}, {"name": "silver", "threshold": 1000.5}],
        },
    )
    assert [t["tier"] for t in saved["tiers"]] == [1, 2]
    await shapes.check(
        "engage.upsert",
        "select engage.upsert($1)",
        {
            "key": "shape-runs",
            "name": "Shape runs",
            "mode": "reality",
            "hidden": True,
            "rule": {"kind": "activity_events", "params": {"activity": "run_km"}},
            "tiers": [{"name": "gold", "threshold": 50}],
        },
    )
    user = await _user(conn)
    uid = uuid.UUID(str(user["id"]))
    empty = await shapes.check("engage.for_user", "select engage.for_user($1)", uid)
    assert empty["unlocked"] == [] and "shape-runs" not in [a["key"] for a in empty["in_progress"]]
    await conn.fetchval("select xp.award_fixed($1, 'reality', 150, 'bot', $2)", uid, _key())
    mine = await shapes.check("engage.for_user", "select engage.for_user($1)", uid)
    assert [(a["key"], a["tier"], a["percent"]) for a in mine["unlocked"]] == [("shape-xp", 1, 14)]
    await shapes.check("engage.public_for", "select engage.public_for($1)", user["username"])
    await shapes.check("engage.admin_list", "select engage.admin_list()")
    await shapes.check(
        "engage.achievement_json",
        "select engage.achievement_json(a) from engage.achievements a where a.key = 'shape-runs'",
    )
    never = await shapes.check("engage.streaks_for", "select engage.streaks_for($1)", uid)
    assert [s["last_day"] is None for s in never["streaks"]] == [False, True]  # the award above: reality
    await shapes.check("engage.streak_check_in", "select engage.streak_check_in($1, 'cyber')", uid)
    await shapes.check("engage.streaks_for", "select engage.streaks_for($1)", uid)
    await shapes.check(
        "engage.streak_json",
        "select engage.streak_json(s.mode, s, current_date) from engage.streaks s where s.user_id = $1",
        uid,
    )
    # Quests: the seeded pool is inactive in the test template; these two are drawn.
    await shapes.check(
        "engage.quest_upsert",
        "select engage.quest_upsert($1)",
        {
            "key": "shape-run",
            "name": "Shape run",
            "icon": "shoe",
            "period": "daily",
            "mode": "reality",
            "goal": {"kind": "activity_units", "params": {"activity": "run_km"}, "target": 2.5},
            "reward_xp": 40,
            "reward_coins": 2,
        },
    )
    await shapes.check(
        "engage.quest_upsert",
        "select engage.quest_upsert($1)",
        {"key": "shape-week", "name": "Shape week", "period": "weekly", "goal": {"kind": "total_xp", "target": 10000}},
    )
    await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", uid, _key())
    quests = await shapes.check("engage.quests_for", "select engage.quests_for($1)", uid)
    assert [(q["key"], q["completed"]) for q in quests["daily"]] == [("shape-run", True)]
    assert [(q["key"], q["percent"]) for q in quests["weekly"]] == [
        ("shape-week", 9)
    ]  # 900 XP of the run; not the quest reward
    await shapes.check("engage.quest_admin_list", "select engage.quest_admin_list()")
    await shapes.check(
        "engage.quest_json", "select engage.quest_json(q) from engage.quests q where q.key = 'shape-week'"
    )
    shapes.covered("engage")


async def test_leagues(conn, shapes: Shapes) -> None:
    users = [uuid.UUID(str((await _user(conn))["id"])) for _ in range(12)]
    idle = uuid.UUID(str((await _user(conn))["id"]))
    await conn.execute(
        "insert into leagues.rewards (mode, position, from_rank, to_rank, coins) values ('cyber', 2, 1, 3, 50)"
    )
    await shapes.check("leagues.tiers", "select leagues.tiers('cyber')")
    await shapes.check(
        "leagues.tier_json", "select leagues.tier_json(t) from leagues.tiers t where mode = 'cyber' and position = 2"
    )
    # A placed Silver player and eleven more: zones on both sides of a full-enough cohort
    # (no ended season left open, whose close they would wait for).
    await conn.fetchval("select seasons.roll()")
    await conn.executemany(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 2, '2000-01')",
        [(u,) for u in users],
    )
    for n, user in enumerate(users):
        await conn.fetchval("select xp.award_fixed($1, 'cyber', $2, 'bot', $3)", user, 10 + n, _key())
    mine = await shapes.check("leagues.me", "select leagues.me('cyber', $1)", users[0])
    assert mine["tier"]["code"] == "silver" and mine["rank"] == 12 and mine["promotion"] and mine["demotion"]
    assert len(mine["members"]) == 12
    before = await shapes.check("leagues.me", "select leagues.me('reality', $1)", idle)
    assert before["cohort_id"] is None and before["members"] == [] and before["tier"]["code"] == "bronze"
    shapes.covered("leagues")
