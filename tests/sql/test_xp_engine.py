"""The XP engine in SQL: invariants, exactly-once awards, caps, levels and layers."""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACTIVITIES = ["run_km", "pushup_standard", "steps", "code_review", "stream_hour", "meditation_min"]


async def _user(db, name: str | None = None) -> uuid.UUID:
    return await db.fetchval(
        "insert into app.users (username) values ($1) returning id", name or f"x{uuid.uuid4().hex[:12]}"
    )


async def _invariants(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    row = await conn.fetchrow(
        """
        select t.total_xp, t.reality_xp, t.cyber_xp, t.level, t.reality_level, t.cyber_level,
               t.reality_layer, t.cyber_layer,
               (select coalesce(sum(xp), 0) from xp.ledger where user_id = t.user_id) as ledger_total,
               (select coalesce(sum(xp), 0) from xp.ledger where user_id = t.user_id and mode = 'reality') as ledger_reality,
               (select coalesce(sum(xp), 0) from xp.ledger where user_id = t.user_id and mode = 'cyber') as ledger_cyber,
               xp.level_for(t.total_xp) as expected_level,
               xp.level_for(t.reality_xp) as expected_reality_level,
               xp.level_for(t.cyber_xp) as expected_cyber_level
        from xp.totals t where t.user_id = $1
        """,
        user_id,
    )
    assert row["total_xp"] == row["ledger_total"]
    assert row["reality_xp"] == row["ledger_reality"] and row["cyber_xp"] == row["ledger_cyber"]
    assert row["level"] == row["expected_level"]
    assert (row["reality_level"], row["cyber_level"]) == (row["expected_reality_level"], row["expected_cyber_level"])
    assert row["reality_layer"] == await conn.fetchval("select xp.layer_for('reality', $1)", row["reality_level"])
    season = await conn.fetch(
        """
        select s.mode, s.xp, (select coalesce(sum(l.xp), 0) from xp.ledger l
                              where l.user_id = s.user_id and l.season_id = s.season_id and l.mode = s.mode) as ledger
        from xp.season_scores s where s.user_id = $1
        """,
        user_id,
    )
    assert all(r["xp"] == r["ledger"] for r in season)


award_step = st.tuples(
    st.sampled_from(ACTIVITIES),
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal("5000"), places=2),
    st.integers(min_value=0, max_value=15),  # small key space: repeats are replays
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(award_step, min_size=1, max_size=25))
async def test_totals_equal_ledger_sums_for_any_sequence_of_awards(conn: asyncpg.Connection, steps) -> None:
    user_id = await _user(conn)
    seen: dict[str, tuple[int, tuple[str, Decimal]]] = {}
    for activity, units, key_number in steps:
        key = f"{user_id}:{key_number}"
        if key in seen and seen[key][1] != (activity, units):  # a reused key, another request: 409
            with pytest.raises(asyncpg.PostgresError) as raised:
                async with conn.transaction():
                    await conn.fetchval("select xp.award($1, $2, $3, 'activity', $4)", user_id, activity, units, key)
            assert raised.value.sqlstate == "XP409"
            continue
        answer = await conn.fetchval("select xp.award($1, $2, $3, 'activity', $4)", user_id, activity, units, key)
        if key in seen:
            assert answer["replayed"] and answer["event_id"] == seen[key][0]
        else:
            assert not answer["replayed"]
            seen[key] = (answer["event_id"], (activity, units))
    await _invariants(conn, user_id)
    assert await conn.fetchval("select count(*) from xp.ledger where user_id = $1", user_id) == len(seen)


@pytest.mark.slow
async def test_32_connections_x_500_awards_to_one_user_lose_nothing(database_url: str) -> None:
    from src.db import _init_connection

    pool = await asyncpg.create_pool(
        database_url,
        min_size=32,
        max_size=32,
        init=_init_connection,
        server_settings={"synchronous_commit": "off"},  # speed only: visibility and locking are unchanged
    )
    try:
        user_id = await _user(pool)
        rng = random.Random(7)
        # 16,000 awards over 12,000 distinct keys: a quarter are replays racing their originals.
        # A key always carries the same request (mode, xp), as a retrying client would send.
        request_of = {f"k{n}": (rng.choice(["reality", "cyber"]), rng.randint(1, 50)) for n in range(12000)}
        plan = [[f"k{rng.randrange(12000)}" for _ in range(500)] for _ in range(32)]
        distinct = {key for lane in plan for key in lane}

        async def lane(keys):
            async with pool.acquire() as conn:
                for key in keys:
                    mode, amount = request_of[key]
                    await conn.fetchval(
                        "select xp.award_fixed($1, $2, $3, 'bot', $4)", user_id, mode, amount, f"{user_id}:{key}"
                    )

        await asyncio.gather(*(lane(keys) for keys in plan))
        async with pool.acquire() as conn:
            expected = sum(request_of[k][1] for k in distinct)
            assert await conn.fetchval("select total_xp from xp.totals where user_id = $1", user_id) == expected
            assert await conn.fetchval("select count(*) from xp.ledger where user_id = $1", user_id) == len(distinct)
            await _invariants(conn, user_id)
    finally:
        await pool.close()


async def test_daily_cap_holds_under_concurrent_awards(db_pool) -> None:
    user_id = await _user(db_pool)
    answers = await asyncio.gather(
        *(
            db_pool.fetchval("select xp.award($1, 'run_km', 5, 'bot', $2)", user_id, f"{user_id}:run{i}")
            for i in range(30)
        )
    )
    # run_km: cap 60 km a day, 300 XP per km
    assert sum(a["xp_awarded"] for a in answers) == 60 * 300
    assert sum(1 for a in answers if a["capped"]) == 30 - 12
    assert await db_pool.fetchval("select total_xp from xp.totals where user_id = $1", user_id) == 18000


@pytest.mark.parametrize(
    ("activity", "units", "key", "occurred", "code"),
    [
        ("run_km", Decimal(0), "k", None, "XP422"),
        ("run_km", Decimal(-3), "k", None, "XP422"),
        ("run_km", Decimal("NaN"), "k", None, "XP422"),
        ("run_km", Decimal("1e12"), "k", None, "XP422"),
        ("run_km", None, "k", None, "XP422"),
        ("no_such_activity", Decimal(1), "k", None, "XP404"),
        ("run_km", Decimal(1), "", None, "XP422"),
        ("run_km", Decimal(1), "x" * 201, None, "XP422"),
        ("run_km", Decimal(1), "k", "now() + interval '1 day'", "XP422"),
        ("run_km", Decimal(1), "k", "now() - interval '40 days'", "XP422"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(conn, activity, units, key, occurred, code) -> None:
    user_id = await _user(conn)
    before = await conn.fetchval("select (select count(*) from xp.ledger) + (select count(*) from xp.idempotency)")
    occurred_sql = occurred or "now()"
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():  # a savepoint: the test's transaction goes on
            await conn.fetchval(
                f"select xp.award($1, $2, $3, 'activity', $4, {occurred_sql})", user_id, activity, units, key
            )
    assert raised.value.sqlstate == code
    after = await conn.fetchval("select (select count(*) from xp.ledger) + (select count(*) from xp.idempotency)")
    assert after == before


async def test_unknown_user_is_404(conn) -> None:
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select xp.award($1, 'run_km', 1, 'activity', 'k')", uuid.uuid4())
    assert raised.value.sqlstate == "XP404"


async def test_user_tokens_only_self_report_on_themselves(conn) -> None:
    me, other = await _user(conn), await _user(conn)
    ok = await conn.fetchval("select xp.award_event($1, null, 'pushup_standard', 10, 'a', now(), '{}', $1)", me)
    assert ok["xp_awarded"] == 20
    for target, activity in ((other, "pushup_standard"), (me, "run_km")):
        with pytest.raises(asyncpg.PostgresError) as raised:
            async with conn.transaction():
                await conn.fetchval(
                    "select xp.award_event($1, null, $2, 1, 'b', now(), '{}', $3)", target, activity, me
                )
        assert raised.value.sqlstate == "XP403"
    assert await conn.fetchval("select count(*) from xp.ledger where user_id = $1", other) == 0


async def test_discord_id_resolves_the_user(conn) -> None:
    user_id = await _user(conn)
    await conn.execute("update app.users set discord_id = '12345' where id = $1", user_id)
    answer = await conn.fetchval("select xp.award_event(null, '12345', 'code_review', 1, 'd', now(), '{}', null)")
    assert answer["user_id"] == str(user_id) and answer["xp_awarded"] == 40


async def test_same_key_for_another_user_is_a_conflict(conn) -> None:
    first, second = await _user(conn), await _user(conn)
    await conn.fetchval("select xp.award($1, 'commit', 1, 'bot', 'shared-key')", first)
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select xp.award($1, 'commit', 1, 'bot', 'shared-key')", second)
    assert raised.value.sqlstate == "XP409"


async def test_adjustments_are_the_only_negative_xp_and_never_below_zero(conn) -> None:
    user_id, admin = await _user(conn), await _user(conn)
    await conn.fetchval("select xp.award($1, 'code_review', 5, 'bot', 'r1')", user_id)  # 200 XP cyber
    fixed = await conn.fetchval("select xp.adjust($1, $2, -50, 'duplicate review', 'adj1', 'cyber')", admin, user_id)
    assert fixed["total_xp"] == 150 and fixed["modes"]["cyber"]["xp"] == 150
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select xp.adjust($1, $2, -500, 'too much', 'adj2')", admin, user_id)
    assert raised.value.sqlstate == "XP422"
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select xp.award_fixed($1, 'cyber', -5, 'challenge', 'neg')", user_id)
    assert raised.value.sqlstate == "XP422"
    await _invariants(conn, user_id)


async def test_level_up_and_layer_up_notify_once(conn) -> None:
    user_id = await _user(conn)
    answer = await conn.fetchval("select xp.award($1, 'run_km', 5, 'bot', 'lvl')", user_id)  # 1500 XP -> level 6
    assert answer["leveled_up"] and answer["level"] == 6 and answer["modes"]["reality"]["layer"] == "RL1"
    await conn.fetchval("select xp.award($1, 'run_km', 5, 'bot', 'lvl')", user_id)  # replay
    kinds = await conn.fetch("select kind, data from notify.outbox where user_id = $1 order by id", user_id)
    assert [k["kind"] for k in kinds] == ["level_up", "layer_up"]
    assert kinds[0]["data"]["level"] == 6


async def test_curve_presets_and_level_for(conn) -> None:
    assert [
        r["xp_required"] for r in await conn.fetch("select xp_required from xp.level_curve order by level limit 5")
    ] == [
        0,
        282,
        519,
        800,
        1118,
    ]
    assert await conn.fetchval("select xp.level_for(0)") == 1
    assert await conn.fetchval("select xp.level_for(281)") == 1
    assert await conn.fetchval("select xp.level_for(282)") == 2
    user_id = await _user(conn)
    await conn.fetchval("select xp.award($1, 'run_km', 5, 'bot', 'c')", user_id)  # 1500 XP
    await conn.fetchval("select xp.generate_curve('linear', 50)")
    assert await conn.fetchval("select level from xp.totals where user_id = $1", user_id) == 2  # 1000 per level
    await conn.fetchval("select xp.generate_curve('runescape', 99)")
    assert await conn.fetchval("select xp_required from xp.level_curve where level = 2") == 83
    assert await conn.fetchval("select xp_required from xp.level_curve where level = 99") == 13034431
    await _invariants(conn, user_id)


async def test_can_access_follows_the_mode_level(conn) -> None:
    user_id = await _user(conn)
    assert await conn.fetchval("select xp.can_access($1, 'RL0')", user_id)
    assert not await conn.fetchval("select xp.can_access($1, 'RL1')", user_id)
    await conn.fetchval("select xp.award($1, 'run_km', 5, 'bot', 'acc')", user_id)
    assert await conn.fetchval("select xp.can_access($1, 'RL1')", user_id)
    assert not await conn.fetchval("select xp.can_access($1, 'CL1')", user_id)  # cyber XP is separate
    assert not await conn.fetchval("select xp.can_access($1, 'NOPE')", user_id)


async def test_reference_data_is_seeded(conn) -> None:
    assert await conn.fetchval("select count(*) from xp.activity_types") >= 40
    assert await conn.fetchval("select count(*) from xp.activity_types where mode = 'cyber'") >= 10
    assert await conn.fetchval("select count(*) from xp.layers") == 10
    assert await conn.fetchval("select count(*) from xp.level_curve") == 100
    before = await conn.fetchval("select count(*) from xp.activity_types")  # other tests may add their own
    again = await conn.fetchval("select xp.seed_activities()")
    assert again >= 40 and await conn.fetchval("select count(*) from xp.activity_types") == before


async def test_the_first_award_does_not_announce_the_base_layer(conn) -> None:
    user_id = await _user(conn)
    await conn.fetchval("select xp.award($1, 'code_review', 1, 'bot', 'base-layer')", user_id)  # 40 XP, level 1
    assert await conn.fetchval("select count(*) from notify.outbox where user_id = $1", user_id) == 0
