"""Achievements (issue 16, docs/engagement.md): progress moves in the transaction of the event,
each tier unlocks once with one notification and one coin credit, under concurrency too; the
progress the hooks keep is what the ledger implies; a back-fill computes it for a rule added
later, resumably."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# The test's own achievements (the seeded ones are inactive in the test template).
RULES: dict[str, dict[str, Any]] = {
    "t-total": {"rule": {"kind": "total_xp"}, "tiers": [500, 2000, 3200], "reward_coins": 7},
    "t-cyber": {"mode": "cyber", "rule": {"kind": "mode_xp"}, "tiers": [300, 1500], "reward_coins": 3},
    "t-level": {"rule": {"kind": "level"}, "tiers": [2, 5]},
    "t-layer": {"mode": "reality", "rule": {"kind": "layer"}, "tiers": [1]},
    "t-runs": {
        "mode": "reality",
        "rule": {"kind": "activity_events", "params": {"activity": "run_km"}},
        "tiers": [1, 3, 6],
        "reward_coins": 2,
    },
    "t-km": {
        "mode": "reality",
        "rule": {"kind": "activity_units", "params": {"activity": "run_km"}},
        "tiers": [10, 70],
    },
    "t-commits": {"rule": {"kind": "activity_units", "params": {"activity": "commit"}}, "tiers": [5, 150]},
}


def _definition(key: str, rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "name": key.title(),
        "description": f"{key} for the tests",
        "mode": rule.get("mode"),
        "reward_coins": rule.get("reward_coins", 0),
        "rule": {"kind": rule["rule"]["kind"], "params": rule["rule"].get("params", {})},
        "tiers": [{"name": f"t{n}", "threshold": t} for n, t in enumerate(rule["tiers"], 1)],
    }


async def _define(db: Any, prefix: str) -> list[str]:
    keys = []
    for key, rule in RULES.items():
        await db.fetchval("select engage.upsert($1)", _definition(f"{prefix}{key}", rule))
        keys.append(f"{prefix}{key}")
    return keys


async def _user(db: Any) -> uuid.UUID:
    return await db.fetchval(  # type: ignore[no-any-return]
        "insert into app.users (username) values ($1) returning id", f"a{uuid.uuid4().hex[:12]}"
    )


LEDGER_VALUE = """
    select case a.kind
        when 'total_xp' then (select coalesce(sum(xp), 0) from xp.ledger where user_id = $1)
        when 'mode_xp' then (select coalesce(sum(xp), 0) from xp.ledger where user_id = $1 and mode = a.mode)
        when 'activity_events' then (select count(*) from xp.ledger where user_id = $1 and activity_key = a.activity_key)
        when 'activity_units' then (select coalesce(sum(units), 0) from xp.ledger where user_id = $1 and activity_key = a.activity_key)
        when 'level' then (select level from xp.totals where user_id = $1)
        when 'layer' then (select l.position from xp.totals t join xp.layers l on l.code = t.reality_layer where t.user_id = $1)
    end
    from engage.achievements a where a.key = $2
"""


async def _check(db: Any, user: uuid.UUID, keys: list[str]) -> int:
    """Progress is what the ledger implies, and every tier at or under it unlocked exactly once,
    with one notification and one coin credit each. Returns the unlocks."""
    unlocks = 0
    for key in keys:
        expected = await db.fetchval(LEDGER_VALUE, user, key)
        kept = await db.fetchval(
            "select engage.current_value($1, a) from engage.achievements a where a.key = $2", user, key
        )
        # No totals row: nothing moved it since the start (level 1, the first layer), where no tier is.
        if expected is None:
            expected = 1 if key.endswith("t-level") else 0
        assert kept == expected, (key, kept, expected)
        value = expected
        reached = await db.fetch(
            "select t.tier from engage.tiers t join engage.achievements a on a.id = t.achievement_id"
            " where a.key = $1 and t.threshold <= $2 order by t.tier",
            key,
            value,
        )
        unlocked = await db.fetch(
            "select u.tier from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
            " where a.key = $1 and u.user_id = $2 order by u.tier",
            key,
            user,
        )
        assert [r["tier"] for r in unlocked] == [r["tier"] for r in reached], key
        shown = await db.fetchval(
            "select i ->> 'tier' from jsonb_array_elements(engage.for_user($1) -> 'unlocked') i where i ->> 'key' = $2",
            user,
            key,
        )
        assert int(shown or 0) == len(reached), key
        notes = await db.fetchval(
            "select count(*) from notify.outbox where user_id = $1 and kind = 'achievement_unlocked'"
            " and data ->> 'achievement' = $2",
            user,
            key,
        )
        assert notes == len(reached), key
        credits = await db.fetchval(
            "select count(*) from store.coin_ledger where user_id = $1 and source = 'bonus'"
            " and idempotency_key like 'achievement:' || $1::text || ':' || $2 || ':%'",
            user,
            key,
        )
        assert credits == (len(reached) if RULES[key[key.index("t-") :]].get("reward_coins") else 0), key
        unlocks += len(reached)
    return unlocks


async def test_an_award_unlocks_its_tier_once_with_a_notification_and_coins(conn) -> None:
    keys = await _define(conn, "u")
    user = await _user(conn)
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 600, 'bot', $2)", user, f"{user}:a1")
    await conn.fetchval(
        "select xp.award_fixed($1, 'cyber', 600, 'bot', $2)", user, f"{user}:a1"
    )  # a replay moves nothing
    assert await _check(conn, user, keys) == 3  # t-total 1, t-cyber 1, t-level 1
    notes = await conn.fetch(
        "select title, data from notify.outbox where user_id = $1 and kind = 'achievement_unlocked' order by id", user
    )
    assert notes[0]["title"] == "Achievement unlocked: Ut-Total (t1)"
    assert await conn.fetchval("select balance from store.wallets where user_id = $1", user) == 7 + 3


async def test_the_hot_path_reads_only_the_achievements_an_award_can_move(conn) -> None:
    """No award kind keeps a row per achievement; an activity no active achievement counts keeps
    no counter, and one that several count keeps one row for all of them."""
    keys = await _define(conn, "h")
    user = await _user(conn)
    await conn.fetchval("select xp.award($1, 'walk_km', 2, 'activity', $2)", user, f"{user}:w1")
    await conn.fetchval("select xp.award($1, 'run_km', 4, 'activity', $2)", user, f"{user}:r1")
    await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", user, f"{user}:r2")
    assert await conn.fetchval("select count(*) from engage.progress where user_id = $1", user) == 0
    counters = await conn.fetch(
        "select activity_key, events, units from engage.counters where user_id = $1 order by activity_key", user
    )
    assert [tuple(r) for r in counters] == [("run_km", 2, 7)]  # t-runs and t-km share it
    await _check(conn, user, keys)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("run_km"), st.integers(1, 40)),
            st.tuples(st.just("commit"), st.integers(1, 60)),
            st.tuples(st.just("reality"), st.integers(1, 900)),
            st.tuples(st.just("cyber"), st.integers(1, 900)),
            st.tuples(st.just("replay"), st.integers(0, 30)),
        ),
        min_size=1,
        max_size=20,
    )
)
async def test_progress_is_what_the_ledger_implies_after_any_sequence(conn, steps) -> None:
    async with conn.transaction():  # each example in its own savepoint
        keys = await _define(conn, "p")
        user = await _user(conn)
        for n, (kind, value) in enumerate(steps):
            if kind in ("run_km", "commit"):
                await conn.fetchval("select xp.award($1, $2, $3, 'activity', $4)", user, kind, value, f"{user}:k{n}")
            elif kind in ("reality", "cyber"):
                await conn.fetchval("select xp.award_fixed($1, $2, $3, 'bot', $4)", user, kind, value, f"{user}:k{n}")
            elif value < n:  # the same key again: a replay, not a new event
                old_kind, old_value = steps[value]
                if old_kind in ("run_km", "commit"):
                    await conn.fetchval(
                        "select xp.award($1, $2, $3, 'activity', $4)", user, old_kind, old_value, f"{user}:k{value}"
                    )
        await _check(conn, user, keys)


async def test_thirty_two_connections_unlock_each_tier_once(db_pool: asyncpg.Pool) -> None:
    prefix = f"c{uuid.uuid4().hex[:6]}"
    keys = await _define(db_pool, prefix)
    try:
        user = await _user(db_pool)

        async def award(i: int) -> None:
            async with db_pool.acquire() as connection:
                if i % 2:
                    await connection.fetchval(
                        "select xp.award_fixed($1, 'cyber', 100, 'bot', $2)", user, f"{user}:c{i}"
                    )
                else:
                    await connection.fetchval("select xp.award($1, 'run_km', 1, 'activity', $2)", user, f"{user}:c{i}")

        await asyncio.gather(*(award(i) for i in range(32)))
        unlocks = await _check(db_pool, user, keys)
        assert unlocks >= 8
        assert (
            await db_pool.fetchval(
                "select count(*) from notify.outbox where user_id = $1 and kind = 'achievement_unlocked'", user
            )
            == unlocks
        )
    finally:
        await db_pool.execute("update engage.achievements set active = false where key like $1 || '%'", prefix)


async def test_a_back_fill_computes_progress_from_the_ledger_and_resumes(conn) -> None:
    users = [await _user(conn) for _ in range(5)]
    for n, user in enumerate(users):
        for run in range(n):
            await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", user, f"{user}:b{run}")
    # Added later: nobody has progress yet, the back-fill brings what the ledger says.
    definition = _definition("bf-runs", RULES["t-runs"])
    await conn.fetchval("select engage.upsert($1)", definition)
    await conn.execute(
        "delete from engage.backfills where achievement_id <> (select id from engage.achievements where key = 'bf-runs')"
    )
    assert (
        await conn.fetchval(
            "select count(*) from engage.unlocks u join engage.achievements a on a.id = u.achievement_id where a.key = 'bf-runs'"
        )
        == 0
    )
    total = await conn.fetchval("select count(*) from app.users where deleted_at is null")
    done = 0
    while batch := await conn.fetchval("select engage.backfill_batch('bf-runs', 2)"):
        assert batch <= 2
        done += batch
    assert done == total
    assert await conn.fetchval("select engage.backfill_batch('bf-runs', 2)") == 0  # finished: nothing more
    assert "bf-runs" not in [r[0] for r in await conn.fetch("select * from engage.backfills_pending()")]
    for n, user in enumerate(users):
        value = await conn.fetchval(
            "select engage.current_value($1, a) from engage.achievements a where a.key = 'bf-runs'", user
        )
        assert (value or 0) == n
        assert await conn.fetchval(
            "select count(*) from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
            " where a.key = 'bf-runs' and u.user_id = $1",
            user,
        ) == sum(1 for t in (1, 3, 6) if t <= n)
    # Later events count on top, as for any achievement.
    await conn.fetchval("select xp.award($1, 'run_km', 3, 'activity', $2)", users[4], f"{users[4]}:later")
    assert (
        await conn.fetchval(
            "select engage.current_value($1, a) from engage.achievements a where a.key = 'bf-runs'", users[4]
        )
        == 5
    )


async def test_challenges_purchases_and_season_ranks(conn) -> None:
    for key, rule in {
        "x-solved": {"rule": {"kind": "challenges_completed"}, "tiers": [1, 2]},
        "x-stars": {"rule": {"kind": "challenge_stars", "params": {"stars": 3}}, "tiers": [1]},
        "x-buy": {"rule": {"kind": "purchases"}, "tiers": [1], "reward_coins": 5},
    }.items():
        await conn.fetchval("select engage.upsert($1)", _definition(key, rule))
    user = await _user(conn)
    await conn.execute("update challenges.challenges set active = false")
    for order, slug in ((100_001, "ach-one"), (100_002, "ach-two")):
        await conn.fetchval(
            "select challenges.upsert($1)",
            {
                "slug": slug,
                "title": slug,
                "order": order,
                "description": "d",
                "starter_code": "",
                "tests": "",
                "xp_reward": 10,
                "coin_reward": 0,
            },
        )
    await conn.fetchval("select challenges.complete($1, 'ach-one', true, 1, 30)", user)  # 2 stars
    assert await _unlocked(conn, user) == {("x-solved", 1)}
    await conn.fetchval("select challenges.complete($1, 'ach-one', true, 0, 30)", user)  # better: 3 stars
    assert await _unlocked(conn, user) == {("x-solved", 1), ("x-stars", 1)}
    await conn.fetchval("select challenges.complete($1, 'ach-two', true, 0, 30)", user)
    assert await _unlocked(conn, user) == {("x-solved", 1), ("x-solved", 2), ("x-stars", 1)}
    await conn.fetchval("select store.credit_coins($1, 1000, 'admin', 'ach-coins')", user)
    bought = await conn.fetchval("select store.purchase($1, 'theme-midnight')", user)
    assert ("x-buy", 1) in await _unlocked(conn, user)
    assert bought["coins"] == await conn.fetchval("select balance from store.wallets where user_id = $1", user)


async def _unlocked(conn, user) -> set[tuple[str, int]]:
    rows = await conn.fetch(
        "select a.key, u.tier from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
        " where u.user_id = $1 and a.key like 'x-%'",
        user,
    )
    return {(r["key"], r["tier"]) for r in rows}


async def test_a_season_rank_unlocks_at_the_close(conn) -> None:
    await conn.fetchval(
        "select engage.upsert($1)",
        _definition("x-podium", {"mode": "reality", "rule": {"kind": "season_rank"}, "tiers": [10, 1]}),
    )
    season = await conn.fetchval("select id from xp.seasons where status <> 'closed' order by id limit 1")
    user = await _user(conn)
    await conn.fetchval(
        "select xp.award_fixed($1, 'reality', 1000000, 'bot', $3, (select starts_at from xp.seasons where id = $2) + interval '1 hour')",
        user,
        season,
        f"{user}:top",
    )
    await conn.execute("update xp.seasons set ends_at = now() - interval '1 second' where id = $1", season)
    await conn.fetchval("select seasons.close($1)", season)
    rank = await conn.fetchval(
        "select rank from seasons.final_standings where season_id = $1 and user_id = $2 and mode = 'reality'",
        season,
        user,
    )
    assert rank == 1
    tiers = await conn.fetch(
        "select u.tier from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
        " where a.key = 'x-podium' and u.user_id = $1 order by u.tier",
        user,
    )
    assert [r["tier"] for r in tiers] == [t for t, threshold in ((1, 10), (2, 1)) if rank <= threshold]


async def test_a_bad_rule_or_tiers_is_refused(conn) -> None:
    for definition, code in [
        ({"rule": {"kind": "nope"}}, "engage.invalid_rule"),
        ({"rule": {"kind": "activity_units", "params": {"activity": "no-such"}}}, "engage.invalid_rule"),
        ({"rule": {"kind": "total_xp", "params": {"x": 1}}}, "engage.invalid_rule"),
        ({"rule": {"kind": "mode_xp"}}, "engage.invalid_rule"),
        (
            {"rule": {"kind": "total_xp"}, "tiers": [{"name": "a", "threshold": 5}, {"name": "b", "threshold": 5}]},
            "engage.invalid_tiers",
        ),
        ({"rule": {"kind": "total_xp"}, "tiers": []}, "engage.invalid_tiers"),
    ]:
        body = {"key": "x-bad", "name": "Bad", "tiers": [{"name": "a", "threshold": 1}], **definition}
        try:
            async with conn.transaction():
                await conn.fetchval("select engage.upsert($1)", body)
        except asyncpg.PostgresError as error:
            assert (error.sqlstate, error.detail) == ("XP422", code), definition
        else:
            raise AssertionError(f"accepted {definition}")


async def test_a_back_fill_racing_awards_counts_each_event_once(db_pool: asyncpg.Pool) -> None:
    """Awards booked while a back-fill walks the same users: each event counts once (the
    back-fill takes each user's totals lock, as xp.book does) and each tier unlocks once."""
    key = f"race-{uuid.uuid4().hex[:6]}"
    users = [await _user(db_pool) for _ in range(4)]
    for user in users:
        await db_pool.fetchval("select xp.award($1, 'row_km', 1, 'activity', $2)", user, f"{user}:r-before")
    try:
        await db_pool.fetchval(
            "select engage.upsert($1)",
            _definition(
                key,
                {
                    "rule": {"kind": "activity_events", "params": {"activity": "row_km"}},
                    "tiers": [2, 5],
                    "reward_coins": 1,
                },
            ),
        )

        async def backfill() -> None:
            while await db_pool.fetchval("select engage.backfill_batch($1, 25)", key):
                await asyncio.sleep(0)

        async def award(i: int) -> None:
            user = users[i % len(users)]
            await db_pool.fetchval("select xp.award($1, 'row_km', 1, 'activity', $2)", user, f"{user}:r{i}")

        await asyncio.gather(backfill(), *(award(i) for i in range(32)))
        for user in users:
            value = await db_pool.fetchval(
                "select engage.current_value($2, a) from engage.achievements a where a.key = $1", key, user
            )
            assert value == 9  # 1 before + 8 during
            unlocks = await db_pool.fetchval(
                "select count(*) from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
                " where a.key = $1 and u.user_id = $2",
                key,
                user,
            )
            notes = await db_pool.fetchval(
                "select count(*) from notify.outbox where user_id = $1 and kind = 'achievement_unlocked'"
                " and data ->> 'achievement' = $2",
                user,
                key,
            )
            credits = await db_pool.fetchval(
                "select count(*) from store.coin_ledger where user_id = $1 and source = 'bonus'"
                " and idempotency_key like 'achievement:%:' || $2 || ':%'",
                user,
                key,
            )
            assert unlocks == notes == credits == 2
    finally:
        await db_pool.execute("update engage.achievements set active = false where key = $1", key)


async def test_turning_an_achievement_on_back_fills_what_awards_no_longer_cross(conn) -> None:
    """Awards only unlock the tiers they cross: a user already past a threshold when the
    achievement is turned on gets it from the back-fill that turning it on restarts, with its
    activity counter filled from the ledger."""
    definition = {**_definition("on-km", RULES["t-km"]), "active": False}
    await conn.fetchval("select engage.upsert($1)", definition)
    await conn.execute("delete from engage.backfills")
    user = await _user(conn)
    for n in range(3):
        await conn.fetchval("select xp.award($1, 'run_km', 5, 'activity', $2)", user, f"{user}:on{n}")
    assert (
        await conn.fetchval("select count(*) from engage.counters where user_id = $1", user) == 0
    )  # nothing counts it
    assert await conn.fetchval("select engage.activate(array['on-km', 'no-such'])") == ["on-km"]
    assert await conn.fetchval("select engage.activate(array['on-km'])") == []  # already on: nothing restarts twice
    assert "on-km" in [r[0] for r in await conn.fetch("select * from engage.backfills_pending()")]
    await conn.fetchval("select xp.award($1, 'run_km', 1, 'activity', $2)", user, f"{user}:on-late")
    # The award counted itself on a counter that did not know the earlier 15 km: nothing crossed.
    assert (
        await conn.fetchval(
            "select count(*) from engage.unlocks u join engage.achievements a"
            " on a.id = u.achievement_id where a.key = 'on-km'"
        )
        == 0
    )
    while await conn.fetchval("select engage.backfill_batch('on-km', 500)"):
        pass
    assert (
        await conn.fetchval("select engage.current_value($1, a) from engage.achievements a where a.key = 'on-km'", user)
        == 16
    )
    tiers = await conn.fetch(
        "select u.tier from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
        " where a.key = 'on-km' and u.user_id = $1",
        user,
    )
    assert [r["tier"] for r in tiers] == [1]  # 10 km reached, 70 not
    # Turned off and on again through the admin upsert: the back-fill restarts too.
    await conn.execute("update engage.backfills set done_at = now()")
    await conn.fetchval("select engage.upsert($1)", definition)
    await conn.fetchval("select engage.upsert($1)", {**definition, "active": True})
    assert "on-km" in [r[0] for r in await conn.fetch("select * from engage.backfills_pending()")]


AWARD_TIERS = """
    select e.key, t.tier, t.threshold, a.kind, a.mode, a.activity_key, a.threshold as copied, a.name
      from engage.achievements e join engage.tiers t on t.achievement_id = e.id
      left join engage.award_tiers a on a.achievement_id = e.id and a.tier = t.tier
     where e.key like $1 order by e.key, t.tier
"""


async def test_the_award_probe_copy_follows_every_edit_of_the_catalogue(conn) -> None:
    """engage.award_tiers (what the award's probe reads) is kept by triggers: the admin API, a
    deactivation, and an operator's own UPDATE of a threshold or of `active` all show in it."""
    await _define(conn, "c")
    rows = await conn.fetch(AWARD_TIERS, "ct-%")
    assert rows and all(r["copied"] == r["threshold"] for r in rows)
    by_key = {r["key"]: r for r in rows}
    assert by_key["ct-total"]["mode"] is None and by_key["ct-total"]["activity_key"] is None
    assert by_key["ct-cyber"]["mode"] == "cyber"
    assert (by_key["ct-runs"]["mode"], by_key["ct-runs"]["activity_key"]) == (None, "run_km")

    await conn.execute(
        "update engage.tiers set threshold = threshold + 1 where achievement_id ="
        " (select id from engage.achievements where key = 'ct-total') and tier = 1"
    )
    await conn.fetchval("select engage.deactivate('ct-cyber')")
    await conn.execute("update engage.achievements set active = false where key = 'ct-level'")
    rows = await conn.fetch(AWARD_TIERS, "ct-%")
    for r in rows:
        if r["key"] in ("ct-cyber", "ct-level"):
            assert r["copied"] is None, r
        else:
            assert r["copied"] == r["threshold"], r
    assert next(r["copied"] for r in rows if r["key"] == "ct-total") == 501

    await conn.execute("update engage.achievements set active = true where key = 'ct-level'")
    assert all(r["copied"] is not None for r in await conn.fetch(AWARD_TIERS, "ct-level"))
    await conn.execute("delete from engage.achievements where key = 'ct-total'")
    assert (
        await conn.fetchval(
            "select count(*) from engage.award_tiers a where not exists"
            " (select from engage.achievements e where e.id = a.achievement_id)"
        )
        == 0
    )


async def test_a_total_xp_achievement_with_a_mode_counts_every_mode(conn) -> None:
    """The mode of a total_xp or level achievement is a label (the profile's grouping), not a
    filter: an award in either mode crosses its tiers, as before the flat probe."""
    await conn.fetchval(
        "select engage.upsert($1)",
        _definition("mt-total", {"mode": "reality", "rule": {"kind": "total_xp"}, "tiers": [100]}),
    )
    user = await _user(conn)
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 150, 'bot', $2)", user, f"{user}:m1")
    assert (
        await conn.fetchval(
            "select count(*) from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
            " where a.key = 'mt-total' and u.user_id = $1",
            user,
        )
        == 1
    )


async def test_the_award_probe_copy_is_rebuilt_whole(conn) -> None:
    """db/after_migrate.sql fills the copy with engage.award_tiers_rebuild (the triggers' rule):
    emptied by hand, it comes back equal."""
    await _define(conn, "r")
    before = await conn.fetch("select * from engage.award_tiers order by achievement_id, tier")
    await conn.execute("delete from engage.award_tiers")
    await conn.execute("select engage.award_tiers_rebuild()")
    assert await conn.fetch("select * from engage.award_tiers order by achievement_id, tier") == before
    assert any(r["name"] for r in before)
