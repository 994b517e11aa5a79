"""Leagues (issue 17): cohorts filled once and in order, and the close's promotion and
relegation per cohort against a brute-force computation of the rules (docs/leagues.md)."""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

MODES = ("reality", "cyber")


async def _users(conn: Any, n: int) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "insert into app.users (username) select 'lg' || substr(md5(random()::text || g), 1, 14)"
        " from generate_series(1, $1) g returning id",
        n,
    )
    return [r["id"] for r in rows]


async def _ended_season(conn: Any, months_ago: int) -> str:
    season: str = await conn.fetchval("select (xp.season_for(now() - make_interval(months => $1))).id", months_ago)
    await conn.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", season)
    await conn.execute("delete from leagues.closes where season_id = $1", season)
    return season


async def _cohort(
    conn: Any, season: str, mode: str, tier: int, seq: int, scores: list[tuple[uuid.UUID, int, datetime]]
) -> int:
    """A cohort with these members (user, season xp, reached_at), as joins would have left it."""
    cohort: int = await conn.fetchval(
        "insert into leagues.cohorts (season_id, mode, tier, seq, capacity, members)"
        " values ($1, $2, $3, $4, greatest($5, 1), $5) returning id",
        season,
        mode,
        tier,
        seq,
        len(scores),
    )
    for seat, (user, xp, reached) in enumerate(scores, 1):
        await conn.execute(
            "insert into leagues.members (season_id, mode, user_id, cohort_id, tier, seat) values ($1, $2, $3, $4, $5, $6)",
            season,
            mode,
            user,
            cohort,
            tier,
            seat,
        )
        await conn.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, $2, $3, $4, $5)",
            season,
            mode,
            user,
            xp,
            reached,
        )
    return cohort


def _expected(
    members: list[tuple[uuid.UUID, int, datetime]], tier: int, params: dict[int, tuple[Decimal, Decimal, int]], top: int
) -> dict[uuid.UUID, tuple[int, str, int]]:
    """Brute force: user -> (rank, zone, next tier), the rules written out one member at a time."""
    promote_pct, demote_pct, min_members = params[tier]
    order = sorted(members, key=lambda m: (-m[1], m[2], m[0].bytes))
    n = len(order)
    promote = math.ceil(promote_pct * n)
    demote = math.floor(demote_pct * n)
    out = {}
    for rank, (user, xp, _reached) in enumerate(order, 1):
        if xp == 0:
            zone = "demotion"
        elif n >= min_members and rank <= promote:
            zone = "promotion"
        elif n >= min_members and rank > n - demote:
            zone = "demotion"
        else:
            zone = "none"
        if zone == "promotion" and tier < top:
            next_tier = tier + 1
        elif zone == "demotion" and tier > 1:
            next_tier = tier - 1
        else:
            next_tier = tier
        out[user] = (rank, zone, next_tier)
    return out


async def test_the_close_matches_a_brute_force_computation_of_the_rules(conn) -> None:
    rng = random.Random(17)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    zones: set[str] = set()
    sizes: set[int] = set()
    for trial in range(6):
        savepoint = conn.transaction()
        await savepoint.start()
        season = await _ended_season(conn, 2 + trial)
        params: dict[int, tuple[Decimal, Decimal, int]] = {}
        for tier in range(1, 7):
            # percentages whose products round both ways, zones that meet, tiny minimums
            promote = Decimal(rng.choice(["0", "0.10", "0.15", "0.25", "0.333", "0.5", "1"]))
            demote = Decimal(rng.choice(["0", "0.20", "0.15", "0.25", "0.5", "0.7"]))
            minimum = rng.choice([1, 2, 5, 10, 12])
            params[tier] = (promote, demote, minimum)
            for mode in MODES:
                await conn.execute(
                    "update leagues.tiers set promote_pct = $3, demote_pct = $4, min_members = $5"
                    " where mode = $1 and position = $2",
                    mode,
                    tier,
                    promote,
                    demote,
                    minimum,
                )
        expected: dict[tuple[str, uuid.UUID], tuple[int, str, int]] = {}
        tiers_of: dict[tuple[str, uuid.UUID], int] = {}
        for mode in MODES:
            for seq in range(1, 9):
                tier = rng.randint(1, 6)
                n = rng.choice([1, 2, 9, 10, 11, 19, 30, rng.randint(1, 40)])
                users = await _users(conn, n)
                # few distinct values: ties on xp, and on reached_at too (user id decides)
                members = [
                    (u, rng.choice([0, 5, 5, 10, 20, 40]), start + timedelta(minutes=rng.randint(0, 3))) for u in users
                ]
                await _cohort(conn, season, mode, tier, seq, members)
                for user, value in _expected(members, tier, params, top=6).items():
                    expected[(mode, user)] = value
                    tiers_of[(mode, user)] = tier
        if trial % 2:
            # as the seasons cron runs it: small batches, each resuming from the cursor
            batches = 0
            while await conn.fetchval("select leagues.close_batch($1, 3)", season) is not None:
                batches += 1
            assert batches > 5 and not await conn.fetchval("select count(*) from leagues.closing")
        await conn.fetchval("select seasons.close($1)", season)
        rows = await conn.fetch(
            "select mode, user_id, tier, rank, zone, next_tier, move from leagues.results"
            " where season_id = $1 and cohort_id is not null",
            season,
        )
        got = {(r["mode"], r["user_id"]): (r["rank"], r["zone"], r["next_tier"]) for r in rows}
        assert got == expected, trial
        zones |= {value[1] for value in expected.values()}
        sizes |= {r["rank"] for r in rows}
        for r in rows:
            step = r["next_tier"] - r["tier"]
            assert step in (-1, 0, 1) and r["move"] == {1: "promoted", -1: "demoted", 0: "stayed"}[step]
        placed = {
            (r["mode"], r["user_id"]): r["tier"]
            for r in await conn.fetch("select mode, user_id, tier from leagues.placements where season_id = $1", season)
        }
        assert {key: value[2] for key, value in expected.items()} == {key: placed[key] for key in expected}
        await savepoint.rollback()
    assert zones == {"promotion", "demotion", "none"} and max(sizes) >= 30


async def test_a_close_run_twice_moves_nobody_twice(conn) -> None:
    season = await _ended_season(conn, 2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    users = await _users(conn, 12)
    members = [(u, 100 - n, start) for n, u in enumerate(users)]
    await conn.executemany(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('reality', $1, 3, '2000-01')",
        [(u,) for u in users],
    )
    await _cohort(conn, season, "reality", 3, 1, members)
    await conn.execute(
        "insert into leagues.rewards (mode, position, from_rank, to_rank, coins) values ('reality', 3, 1, 2, 25)"
    )
    # a placed user with no XP this season drops a tier; one in the bottom tier stays there
    idle, bottom = await _users(conn, 2)
    await conn.execute(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 4, '2000-01'), ('cyber', $2, 1, '2000-01')",
        idle,
        bottom,
    )

    async def state() -> tuple[Any, ...]:
        return (
            await conn.fetch("select * from leagues.results where season_id = $1 order by mode, user_id", season),
            await conn.fetch("select * from leagues.placements order by mode, user_id"),
            await conn.fetchval("select count(*) from notify.outbox where kind = 'league_result'"),
            await conn.fetch("select user_id, balance from store.wallets order by user_id"),
        )

    assert await conn.fetchval("select leagues.close($1)", season) == 12 + 2
    first = await state()
    assert await conn.fetchval("select leagues.close($1)", season) == 0
    await conn.fetchval("select seasons.close($1)", season)
    await conn.fetchval("select seasons.close($1)", season)
    assert await state() == first
    tiers = {r["user_id"]: (r["tier"], r["next_tier"], r["coins"]) for r in first[0]}
    assert tiers[users[0]] == (3, 4, 25) and tiers[users[1]] == (3, 4, 25)  # ceil(0.10 * 12) = 2 up
    assert tiers[users[2]] == (3, 3, 0) and tiers[users[9]] == (3, 3, 0)
    assert tiers[users[10]] == (3, 2, 0) and tiers[users[11]] == (3, 2, 0)  # floor(0.20 * 12) = 2 down
    assert tiers[idle] == (4, 3, 0) and tiers[bottom] == (1, 1, 0)
    notes = await conn.fetch(
        "select user_id, data from notify.outbox where kind = 'league_result' and data->>'season_id' = $1", season
    )
    assert sorted(n["user_id"] for n in notes) == sorted(users)  # one per member, none for the idle
    assert await conn.fetchval("select balance from store.wallets where user_id = $1", users[0]) == 25


async def test_the_close_pushes_its_notes_to_device_owners_only(conn) -> None:
    """The close writes a user without a push device their notes already fanned out (no
    fan-out index entry, no rewrite by the worker); a device owner's go through notify.fan_out
    to a delivery each, as any notification; a deleted member gets none."""
    season = await _ended_season(conn, 2)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    owner, other, gone = await _users(conn, 3)
    await _cohort(conn, season, "reality", 1, 1, [(owner, 50, start), (other, 40, start), (gone, 30, start)])
    await conn.execute(
        "insert into notify.devices (token, user_id, platform) values ($1, $2, 'android')", "tok-" + owner.hex, owner
    )
    await conn.fetchval("select app.user_delete($1)", gone)  # a deleted member is told nothing
    await conn.fetchval("select seasons.close($1)", season)
    notes = await conn.fetch(
        "select user_id, kind, fanned_at is null as to_fan_out from notify.outbox"
        " where data->>'season_id' = $1 order by user_id, kind",
        season,
    )
    assert sorted((n["user_id"], n["kind"], n["to_fan_out"]) for n in notes) == sorted(
        (user, kind, user == owner) for user in (owner, other) for kind in ("league_result", "season_final_standing")
    )
    while await conn.fetchval("select notify.fan_out(1000)"):
        pass
    delivered = await conn.fetch(
        "select o.user_id, o.kind from notify.deliveries d join notify.outbox o on o.id = d.outbox_id"
        " where o.data->>'season_id' = $1",
        season,
    )
    assert sorted((d["user_id"], d["kind"]) for d in delivered) == [
        (owner, "league_result"),
        (owner, "season_final_standing"),
    ]


async def test_a_user_joins_once_in_their_placed_tier_on_the_first_xp(conn) -> None:
    await conn.fetchval("select seasons.roll()")  # no ended season left open: nothing to wait for
    fresh, placed = await _users(conn, 2)
    await conn.execute(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 5, '2000-01')", placed
    )
    for user in (fresh, placed):
        for _ in range(3):
            await conn.fetchval("select xp.award_fixed($1, 'cyber', 5, 'bot', $2)", user, uuid.uuid4().hex)
    rows = await conn.fetch(
        "select user_id, tier from leagues.members where user_id = any($1::uuid[]) and season_id = to_char(now(), 'YYYY-MM')",
        [fresh, placed],
    )
    assert sorted((r["user_id"], r["tier"]) for r in rows) == sorted([(fresh, 1), (placed, 5)])
    # no reality XP: no reality cohort
    assert not await conn.fetchval(
        "select count(*) from leagues.members where user_id = $1 and mode = 'reality'", fresh
    )


async def test_64_users_joining_at_once_fill_cohorts_exactly_to_size(database_url: str) -> None:
    from src.db import _init_connection

    connections = [await asyncpg.connect(database_url) for _ in range(32)]
    try:
        for c in connections:
            await _init_connection(c)
        admin = connections[0]
        # as the roll job does: an ended season another test left open is closed, so these
        # placed users join at once rather than wait for its close (leagues.pending)
        await admin.fetchval("select seasons.roll()")
        users = await _users(admin, 64)
        # Platinum cyber: no other test joins it, so its cohorts this season are these users'
        await admin.executemany(
            "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 4, '2000-01')",
            [(u,) for u in users],
        )
        season = await admin.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")
        before = await admin.fetchval(
            "select coalesce(sum(members), 0) from leagues.cohorts where season_id = $1 and mode = 'cyber' and tier = 4",
            season,
        )
        barrier = asyncio.Barrier(32)

        async def lane(c: asyncpg.Connection, pair: list[uuid.UUID]) -> None:
            await barrier.wait()
            async with c.transaction():  # two joins in one transaction, as a batch of awards holds them
                for user in pair:
                    await c.fetchval("select xp.award_fixed($1, 'cyber', 7, 'bot', $2)", user, uuid.uuid4().hex)

        await asyncio.gather(*(lane(c, users[2 * i : 2 * i + 2]) for i, c in enumerate(connections)))
        members = await admin.fetch(
            "select m.user_id, m.cohort_id, m.seat, c.seq, c.members, c.capacity from leagues.members m"
            " join leagues.cohorts c on c.id = m.cohort_id where m.season_id = $1 and m.user_id = any($2::uuid[])",
            season,
            users,
        )
        assert sorted(m["user_id"] for m in members) == sorted(users)  # each exactly once
        cohorts = await admin.fetch(
            "select c.id, c.seq, c.members, c.capacity, (select count(*) from leagues.members m where m.cohort_id = c.id) as seated,"
            " (select array_agg(seat order by seat) from leagues.members m where m.cohort_id = c.id) as seats"
            " from leagues.cohorts c where season_id = $1 and mode = 'cyber' and tier = 4 order by seq",
            season,
        )
        for c in cohorts:
            assert c["members"] == c["seated"] and c["seats"] == list(range(1, c["seated"] + 1))
        assert all(c["members"] == c["capacity"] for c in cohorts[:-1])  # every cohort but the open one is full
        if before == 0:
            assert [c["members"] for c in cohorts] == [30, 30, 4]
        # filled in order of joining: seats follow the join times within each cohort
        order = await admin.fetch(
            "select cohort_id, seat, joined_at from leagues.members where season_id = $1 and user_id = any($2::uuid[])"
            " order by cohort_id, seat",
            season,
            users,
        )
        by_cohort: dict[int, list[datetime]] = {}
        for r in order:
            by_cohort.setdefault(r["cohort_id"], []).append(r["joined_at"])
        assert all(times == sorted(times) for times in by_cohort.values())
    finally:
        for c in connections:
            await c.close()


async def test_a_first_xp_before_the_previous_close_waits_for_it_and_joins_in_the_new_tier(conn) -> None:
    """A month's first minutes: the previous season is not closed yet, and its close decides
    the tier. The award is booked at once; the join waits, and the close seats it."""
    previous = await _ended_season(conn, 1)
    current = await conn.fetchval("select (xp.season_for(now())).id")
    assert previous == await conn.fetchval(
        "select to_char(to_date($1, 'YYYY-MM') - interval '1 month', 'YYYY-MM')", current
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    users = await _users(conn, 10)
    await _cohort(conn, previous, "cyber", 2, 1, [(u, 100 - n, start) for n, u in enumerate(users)])
    newcomer = (await _users(conn, 1))[0]
    for user in (users[0], users[9], newcomer):
        award = await conn.fetchval("select xp.award_fixed($1, 'cyber', 5, 'bot', $2)", user, uuid.uuid4().hex)
        assert award["xp_awarded"] == 5
    seated = "select user_id, tier from leagues.members where season_id = $1 and mode = 'cyber' and user_id = any($2::uuid[])"
    # the newcomer has no history: the bottom tier now; the two players of the previous season wait
    assert {r["user_id"]: r["tier"] for r in await conn.fetch(seated, current, [users[0], users[9], newcomer])} == {
        newcomer: 1
    }
    assert await conn.fetchval("select count(*) from leagues.pending where season_id = $1", current) == 2
    await conn.fetchval("select seasons.close($1)", previous)
    # ceil(0.1 * 10) = 1 promoted, floor(0.2 * 10) = 2 demoted: first to Gold, last to Bronze
    got = {r["user_id"]: r["tier"] for r in await conn.fetch(seated, current, [users[0], users[9], newcomer])}
    assert got == {newcomer: 1, users[0]: 3, users[9]: 1}
    assert await conn.fetchval("select count(*) from leagues.pending where season_id = $1", current) == 0
    assert await conn.fetchval("select seasons.roll()") >= 0


async def test_my_league_shows_the_zones_the_close_would_apply(conn) -> None:
    await conn.fetchval("select seasons.roll()")
    current = await conn.fetchval("select (xp.season_for(now())).id")

    async def cohort_of(n: int, tier: int) -> list[uuid.UUID]:
        users = await _users(conn, n)
        await conn.executemany(
            "insert into leagues.placements (mode, user_id, tier, season_id) values ('reality', $1, $2, '2000-01')",
            [(u, tier) for u in users],
        )
        # a tier of its own for this test: its cohorts hold these users only
        for n_, user in enumerate(users):
            await conn.fetchval("select xp.award_fixed($1, 'reality', $2, 'bot', $3)", user, 100 - n_, uuid.uuid4().hex)
        return users

    await conn.execute(
        "delete from leagues.members where season_id = $1 and mode = 'reality' and tier in (5, 6)", current
    )
    await conn.execute(
        "delete from leagues.openings where season_id = $1 and mode = 'reality' and tier in (5, 6)", current
    )
    top = await cohort_of(10, 6)  # Master: nobody goes higher
    mine = await conn.fetchval("select leagues.me('reality', $1)", top[0])
    assert mine["tier"]["code"] == "master" and mine["rank"] == 1 and mine["promotion"] is None
    assert mine["demotion"] == {"from_rank": 9, "to_rank": 10}
    small = await cohort_of(9, 5)  # Diamond, below min_members: no zones
    mine = await conn.fetchval("select leagues.me('reality', $1)", small[-1])
    assert mine["rank"] == 9 and mine["promotion"] is None and mine["demotion"] is None
    await conn.execute(
        "update leagues.tiers set promote_pct = 0.7, demote_pct = 0.5, min_members = 1 where mode = 'reality' and position = 5"
    )
    mine = await conn.fetchval("select leagues.me('reality', $1)", small[0])
    # ceil(0.7 * 9) = 7 up; floor(0.5 * 9) = 4 down would start at 6: promotion wins where they meet
    assert mine["promotion"] == {"from_rank": 1, "to_rank": 7} and mine["demotion"] == {"from_rank": 8, "to_rank": 9}


async def test_a_close_in_batches_equals_one_close_and_refuses_late_joins(conn) -> None:
    """Batches of one cohort (and 30 idle users), each resuming from leagues.closing, write the
    same results, placements, notifications and coins as one leagues.close; once the close has
    begun, a late first XP into that season joins no cohort."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    await conn.execute(
        "insert into leagues.rewards (mode, position, from_rank, to_rank, coins) values ('reality', 2, 1, 1, 40)"
    )
    outcomes = []
    for how in ("one", "batches"):
        savepoint = conn.transaction()
        await savepoint.start()
        season = await _ended_season(conn, 3)
        rng = random.Random(5)
        for seq in range(1, 6):
            users = await _users(conn, rng.choice([9, 10, 25, 30]))
            await _cohort(conn, season, "reality", 2, seq, [(u, rng.choice([0, 5, 10]), start) for u in users])
        idle = await _users(conn, 70)
        await conn.executemany(
            "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 3, '2000-01')",
            [(u,) for u in idle],
        )
        if how == "one":
            written = await conn.fetchval("select leagues.close($1)", season)
        else:
            written, steps = 0, 0
            while (rows := await conn.fetchval("select leagues.close_batch($1, 1)", season)) is not None:
                written += rows
                steps += 1
                if steps == 2:
                    late = (await _users(conn, 1))[0]
                    assert await conn.fetchval("select leagues.join($1, 'reality', $2)", season, late) is None
            assert steps >= 5 + 3
        assert await conn.fetchval("select leagues.close_batch($1, 1)", season) is None
        assert await conn.fetchval("select leagues.close($1)", season) == 0
        outcomes.append(
            (
                written,
                await conn.fetch(
                    "select mode, rank, xp, zone, move, tier, next_tier, coins, members from leagues.results"
                    " where season_id = $1 order by mode, cohort_id, rank, xp, zone",
                    season,
                ),
                await conn.fetch(
                    "select r.rank, o.title, o.body, o.data - 'season_id' as data from notify.outbox o"
                    " join leagues.results r on r.user_id = o.user_id and r.season_id = $1 and r.mode = 'reality'"
                    " where o.kind = 'league_result' and o.data->>'season_id' = $1 order by r.cohort_id, r.rank, o.body",
                    season,
                ),
                await conn.fetchval(
                    "select coalesce(sum(w.balance), 0) from store.wallets w"
                    " join leagues.results r on r.user_id = w.user_id and r.season_id = $1",
                    season,
                ),
                await conn.fetch(
                    "select p.tier, count(*) from leagues.placements p join leagues.results r"
                    " on r.user_id = p.user_id and r.mode = p.mode and r.season_id = $1 group by 1 order by 1",
                    season,
                ),
            )
        )
        await savepoint.rollback()

    def same(rows: Any) -> Any:  # order-free: the idle rows of other tests' users have no rank
        return sorted(tuple(str(v) for v in r.values()) for r in rows) if isinstance(rows, list) else rows

    assert [same(part) for part in outcomes[0]] == [same(part) for part in outcomes[1]]
    assert outcomes[0][0] > 70 and outcomes[0][3] == 5 * 40  # the first of each cohort is paid


async def test_waiting_joins_are_seated_in_order_filling_the_open_cohort_then_new_ones(conn) -> None:
    """leagues.seat_pending, set-based: the tier's open cohort gets the oldest waiting joins,
    the rest fill new cohorts of the tier's size in the order they came."""
    await conn.fetchval("select seasons.roll()")
    current = await conn.fetchval("select (xp.season_for(now())).id")
    await conn.execute("delete from leagues.members where season_id = $1 and mode = 'cyber' and tier = 6", current)
    await conn.execute("delete from leagues.openings where season_id = $1 and mode = 'cyber' and tier = 6", current)
    await conn.execute("delete from leagues.cohorts where season_id = $1 and mode = 'cyber' and tier = 6", current)
    await conn.execute("delete from leagues.pending")
    early = await _users(conn, 25)
    await conn.executemany(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 6, '2000-01')",
        [(u,) for u in early],
    )
    for user in early:  # Master cyber, seated at once: an open cohort with 5 seats left
        await conn.fetchval("select leagues.join($1, 'cyber', $2)", current, user)
    waiting = await _users(conn, 70)
    await conn.executemany(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 6, '2000-01')",
        [(u,) for u in waiting],
    )
    base = datetime(2026, 1, 1, tzinfo=UTC)
    await conn.executemany(
        "insert into leagues.pending (season_id, mode, user_id, at) values ($1, 'cyber', $2, $3)",
        [(current, u, base + timedelta(seconds=n)) for n, u in enumerate(waiting)],
    )
    assert await conn.fetchval("select leagues.seat_pending(40)") == 40
    assert await conn.fetchval("select leagues.seat_pending()") == 30
    assert not await conn.fetchval("select count(*) from leagues.pending")
    rows = await conn.fetch(
        "select m.user_id, c.seq, m.seat, c.members, c.capacity from leagues.members m"
        " join leagues.cohorts c on c.id = m.cohort_id"
        " where m.season_id = $1 and m.mode = 'cyber' and m.tier = 6 order by c.seq, m.seat",
        current,
    )
    assert [r["user_id"] for r in rows] == early + waiting  # in the order they came
    assert [(r["seq"], r["seat"]) for r in rows] == [(1 + k // 30, 1 + k % 30) for k in range(95)]
    assert {(r["seq"], r["members"]) for r in rows} == {(1, 30), (2, 30), (3, 30), (4, 5)}
    # the next join takes the next seat of the last cohort
    newcomer = (await _users(conn, 1))[0]
    await conn.execute(
        "insert into leagues.placements (mode, user_id, tier, season_id) values ('cyber', $1, 6, '2000-01')", newcomer
    )
    await conn.fetchval("select leagues.join($1, 'cyber', $2)", current, newcomer)
    assert (
        await conn.fetchval(
            "select (c.seq, m.seat)::text from leagues.members m join leagues.cohorts c on c.id = m.cohort_id"
            " where m.season_id = $1 and m.mode = 'cyber' and m.user_id = $2",
            current,
            newcomer,
        )
        == "(4,6)"
    )


async def test_the_close_waits_for_the_transactions_that_began_before_it(database_url: str) -> None:
    """A transaction that began before the close opened may have read the season as open and
    still add XP to it: the batches do nothing (0, the cursor unmoved) until it has ended."""
    closer = await asyncpg.connect(database_url)
    older = await asyncpg.connect(database_url)
    season = await closer.fetchval("select (xp.season_for(now() - interval '23 months')).id")
    status = await closer.fetchval("select status from xp.seasons where id = $1", season)
    try:
        await closer.execute("update xp.seasons set status = 'active', closed_at = null where id = $1", season)
        await closer.execute("delete from leagues.closes where season_id = $1", season)
        running = older.transaction()
        await running.start()
        await older.fetchval("select 1")
        assert await closer.fetchval("select leagues.close_batch($1, 1)", season) == 0  # opens it
        for _ in range(2):
            assert await closer.fetchval("select leagues.close_batch($1, 1)", season) == 0
            assert await closer.fetchval("select sum(batches) from leagues.closing where season_id = $1", season) == 0
        await running.commit()
        assert await closer.fetchval("select leagues.close_batch($1, 1)", season) == 0  # no lines: the phase ends
        assert (
            await closer.fetchval("select phase from leagues.closing where season_id = $1 and mode = 'reality'", season)
            == "cohorts"
        )
    finally:
        await closer.execute("delete from leagues.closing where season_id = $1", season)
        await closer.execute(
            "update xp.seasons set status = $2, closed_at = case when $2 = 'closed' then now() end where id = $1",
            season,
            status,
        )
        await older.close()
        await closer.close()


async def test_two_batches_of_first_xp_in_both_modes_take_the_cohort_locks_in_one_order(database_url: str) -> None:
    """Two award batches (xp.award_events, each its own transaction, as the API sends two at a
    time) seat new members in both modes. Batch B arrives cyber then reality, batch A reality
    then cyber. Held in arrival order, B would hold cyber's open cohort waiting for reality's,
    which A holds waiting for cyber's: a deadlock, and a whole batch failed. Both finish."""
    from src.db import _init_connection

    holder, a, b = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        for c in (holder, a, b):
            await _init_connection(c)
        await holder.fetchval("select seasons.roll()")  # no earlier close left to wait for
        users = await _users(holder, 6)
        # Diamond in both modes: no other test seats there, so the open cohorts are these users'
        await holder.executemany(
            "insert into leagues.placements (mode, user_id, tier, season_id) values ($1, $2, 5, '2000-01')",
            [(mode, u) for u in users for mode in MODES],
        )
        await holder.fetchval("select xp.award_fixed($1, 'reality', 5, 'bot', $2)", users[0], uuid.uuid4().hex)
        await holder.fetchval("select xp.award_fixed($1, 'cyber', 5, 'bot', $2)", users[1], uuid.uuid4().hex)
        season = await holder.fetchval("select to_char(now() at time zone 'UTC', 'YYYY-MM')")

        async def batch(c: asyncpg.Connection, pairs: list[tuple[uuid.UUID, str]]) -> list[Any]:
            n = len(pairs)
            rows = await c.fetch(
                "select item, error_code, body from xp.award_events($1::uuid[], $2::text[], $3::text[],"
                " $4::numeric[], $5::text[], $6::timestamptz[], $7::jsonb[], $8::uuid[])",
                [u for u, _ in pairs],
                [None] * n,
                [activity for _, activity in pairs],
                [1] * n,
                [uuid.uuid4().hex for _ in range(n)],
                [None] * n,
                [None] * n,
                [None] * n,
            )
            return list(rows)

        async def waiting(c: asyncpg.Connection) -> None:
            pid = c.get_server_pid()
            for _ in range(500):
                if await holder.fetchval("select wait_event_type = 'Lock' from pg_stat_activity where pid = $1", pid):
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("the batch never waited for the cohort lock")

        hold = holder.transaction()
        await hold.start()
        await holder.execute(
            "select from leagues.openings where season_id = $1 and mode = 'cyber' and tier = 5 for update", season
        )
        second = asyncio.ensure_future(batch(b, [(users[2], "commit"), (users[3], "run_km")]))
        await waiting(b)
        first = asyncio.ensure_future(batch(a, [(users[4], "run_km"), (users[5], "commit")]))
        await waiting(a)
        await hold.rollback()
        results = await asyncio.wait_for(asyncio.gather(second, first), timeout=30)
        assert [r["error_code"] for rows in results for r in rows] == [None] * 4
        seated = await holder.fetchval(
            "select count(*) from leagues.members where season_id = $1 and user_id = any($2::uuid[])", season, users
        )
        assert seated == 6
    finally:
        for c in (holder, a, b):
            await c.close()
