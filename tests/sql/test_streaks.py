"""Streaks (issue 16, docs/engagement.md "Streaks"): days in a row with a qualifying event, per
user and mode, in the user's time zone; freezes earned every 7th day (2 at most) and spent on
missed days; the close job settles each (time zone, day) once; milestones notify once per run;
the check-in counts a day once. Time zones: across both DST changes of America/New_York and
across the date line. A Hypothesis property holds the hook and the job to a day-by-day
simulation of the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = date(2025, 1, 6)  # far enough back that the close job may settle any day the tests use


async def _user(conn: Any, tz: str = "UTC") -> uuid.UUID:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "insert into app.users (username, timezone) values ($1, $2) returning id", f"s{uuid.uuid4().hex[:12]}", tz
    )


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


async def _event(conn: Any, user: uuid.UUID, at: datetime, mode: str = "cyber", source: str = "activity") -> None:
    await conn.execute("select engage.on_streak($1, $2, $3, $4)", user, mode, source, at)


async def _days(conn: Any, user: uuid.UUID, *days: date, mode: str = "cyber") -> None:
    for day in days:
        await _event(conn, user, _noon(day), mode)


async def _streak(conn: Any, user: uuid.UUID, mode: str = "cyber") -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "select current, longest, freezes, last_day, last_active, run_start, tz, ctid::text as ctid"
        " from engage.streaks where user_id = $1 and mode = $2",
        user,
        mode,
    )
    return dict(row) if row else None


async def _milestones(conn: Any, user: uuid.UUID) -> list[tuple[str, int]]:
    rows = await conn.fetch(
        "select data ->> 'mode' as mode, (data ->> 'days')::int as days from notify.outbox"
        " where user_id = $1 and kind = 'streak_milestone' order by id",
        user,
    )
    return [(r["mode"], r["days"]) for r in rows]


def _run(start: date, n: int) -> list[date]:
    return [start + timedelta(days=k) for k in range(n)]


async def test_consecutive_days_count_and_the_same_day_writes_nothing(conn) -> None:
    user = await _user(conn)
    await _days(conn, user, BASE)
    first = await _streak(conn, user)
    assert first is not None
    assert (first["current"], first["longest"], first["freezes"], first["last_day"]) == (1, 1, 0, BASE)
    await _event(conn, user, _noon(BASE) + timedelta(hours=3))  # the same day: nothing is written
    again = await _streak(conn, user)
    assert again == first  # the same row version (ctid): no update at all
    await _days(conn, user, BASE + timedelta(days=1), BASE + timedelta(days=2))
    now = await _streak(conn, user)
    assert now is not None and (now["current"], now["longest"], now["run_start"]) == (3, 3, BASE)
    assert await _streak(conn, user, "reality") is None  # per mode


async def test_only_activity_counts_not_quests_or_adjustments(conn) -> None:
    user = await _user(conn)
    admin = await _user(conn)
    await conn.fetchval("select xp.book($1, 'quest', $2, now(), null, 'cyber', 10)", user, uuid.uuid4().hex)
    await conn.fetchval("select xp.adjust($1, $2, 5, 'fix', $3, 'cyber')", admin, user, uuid.uuid4().hex)
    assert await _streak(conn, user) is None
    await conn.fetchval("select xp.award_fixed($1, 'cyber', 10, 'bot', $2)", user, uuid.uuid4().hex)
    award = await _streak(conn, user)
    assert award is not None and award["current"] == 1
    assert award["last_day"] == await conn.fetchval("select (now() at time zone 'UTC')::date")
    # A replayed award books nothing and reaches no hook.
    key = uuid.uuid4().hex
    await conn.fetchval("select xp.award($1, 'run_km', 1, 'activity', $2)", user, key)
    await conn.fetchval("select xp.award($1, 'run_km', 1, 'activity', $2)", user, key)
    reality = await _streak(conn, user, "reality")
    assert reality is not None and reality["current"] == 1


async def test_a_gap_resets_and_a_late_event_never_reopens_a_day(conn) -> None:
    user = await _user(conn)
    await _days(conn, user, *_run(BASE, 2), BASE + timedelta(days=3))
    s = await _streak(conn, user)
    assert s is not None and (s["current"], s["longest"], s["run_start"]) == (1, 2, BASE + timedelta(days=3))
    await _days(conn, user, BASE + timedelta(days=2))  # late, for the missed day: ignored
    late = await _streak(conn, user)
    assert late == s


async def test_freezes_are_earned_every_seventh_day_capped_at_two_and_spent_on_missed_days(conn) -> None:
    user = await _user(conn)
    days = _run(BASE, 7)
    await _days(conn, user, *days)
    s = await _streak(conn, user)
    assert s is not None and (s["current"], s["freezes"]) == (7, 1)
    await _days(conn, user, *_run(BASE + timedelta(days=7), 14))  # days 8 to 21
    s = await _streak(conn, user)
    assert s is not None and (s["current"], s["freezes"]) == (21, 2)  # the third freeze is over the cap
    # One day missed: a freeze covers it; the run goes on.
    await _days(conn, user, BASE + timedelta(days=22))
    s = await _streak(conn, user)
    assert s is not None and (s["current"], s["freezes"], s["longest"]) == (22, 1, 22)
    # Two days missed with one freeze: the run ends (the freeze went on the first), a new one starts.
    await _days(conn, user, BASE + timedelta(days=25))
    s = await _streak(conn, user)
    assert s is not None and (s["current"], s["freezes"], s["longest"]) == (1, 0, 22)


async def test_milestones_notify_once_per_run(conn) -> None:
    user = await _user(conn)
    await _days(conn, user, *_run(BASE, 7))
    await _days(conn, user, *_run(BASE, 7))  # the same days again: nothing new
    assert await _milestones(conn, user) == [("cyber", 3), ("cyber", 7)]
    # A new run reaches 3 again (3 days missed, one freeze: the run ended): notified again.
    await _days(conn, user, *_run(BASE + timedelta(days=10), 3))
    await _days(conn, user, *_run(BASE, 100), mode="reality")
    assert await _milestones(conn, user) == [
        ("cyber", 3),
        ("cyber", 7),
        ("cyber", 3),
        ("reality", 3),
        ("reality", 7),
        ("reality", 30),
        ("reality", 100),
    ]
    keys = await conn.fetch(
        "select dedupe_key from notify.outbox where user_id = $1 and kind = 'streak_milestone' order by id", user
    )
    assert keys[0]["dedupe_key"] == f"streak:cyber:{BASE}:3"


async def test_the_close_job_settles_a_day_once_and_resumes_in_batches(conn) -> None:
    tz = "Asia/Kathmandu"  # UTC+5:45: a zone no other test closes
    today = await conn.fetchval("select (now() at time zone $1)::date", tz)
    yesterday = today - timedelta(days=1)
    frozen, broken, fine, late = [await _user(conn, tz) for _ in range(4)]
    await _days(conn, frozen, *_run(today - timedelta(days=8), 7))  # last day: the day before yesterday, a freeze
    await _days(conn, broken, *_run(today - timedelta(days=3), 2))  # the same last day, no freeze
    await _days(conn, fine, yesterday)
    await _days(conn, late, today - timedelta(days=5))  # several days missed, no freeze
    due = [(r["tz"], r["day"]) for r in await conn.fetch("select tz, day from engage.streak_close_due()")]
    assert (tz, yesterday) in due
    before = {u: await _streak(conn, u) for u in (frozen, broken, fine, late)}

    assert await conn.fetchval("select engage.streak_close($1, $2, 2)", tz, yesterday) == 2
    assert await conn.fetchval("select engage.streak_close($1, $2, 2)", tz, yesterday) == 1
    assert await conn.fetchval("select engage.streak_close($1, $2, 2)", tz, yesterday) == 0
    after = {u: await _streak(conn, u) for u in (frozen, broken, fine, late)}
    assert after[frozen] is not None and after[broken] is not None and after[late] is not None
    assert (after[frozen]["current"], after[frozen]["freezes"], after[frozen]["last_day"]) == (7, 0, yesterday)
    assert (after[broken]["current"], after[broken]["freezes"], after[broken]["longest"]) == (0, 0, 2)
    assert after[late]["current"] == 0
    assert after[fine] == before[fine]
    closed = await conn.fetchrow(
        "select streaks, closed_at from engage.streak_closes where tz = $1 and day = $2", tz, yesterday
    )
    assert closed["streaks"] == 3 and closed["closed_at"] is not None
    assert (tz, yesterday) not in [
        (r["tz"], r["day"]) for r in await conn.fetch("select * from engage.streak_close_due()")
    ]

    # Run again: the day is closed, nothing changes, even for a run that would now match.
    await conn.execute(
        "update engage.streaks set current = 2, last_day = $2 where user_id = $1", broken, yesterday - timedelta(days=1)
    )
    again = await _streak(conn, broken)
    assert await conn.fetchval("select engage.streak_close($1, $2, 100)", tz, yesterday) == 0
    assert await _streak(conn, broken) == again
    assert {u: await _streak(conn, u) for u in (frozen, fine, late)} == {u: after[u] for u in (frozen, fine, late)}
    with pytest.raises(asyncpg.RaiseError, match="has not ended"):
        await conn.fetchval("select engage.streak_close($1, $2)", tz, today)


async def test_the_check_in_counts_today_once(conn) -> None:
    user = await _user(conn, "Europe/Berlin")
    first = await conn.fetchval("select engage.streak_check_in($1, 'reality')", user)
    assert first["counted"] is True and first["streak"]["current"] == 1 and first["streak"]["today_done"] is True
    second = await conn.fetchval("select engage.streak_check_in($1, 'reality')", user)
    assert second["counted"] is False and second["streak"] == first["streak"]
    today = await conn.fetchval("select (now() at time zone 'Europe/Berlin')::date")
    assert first["streak"]["last_day"] == str(today)
    with pytest.raises(asyncpg.PostgresError) as refused:
        await conn.fetchval("select engage.streak_check_in($1, 'moon')", user)
    assert refused.value.sqlstate == "XP404" and refused.value.detail == "engage.unknown_mode"


async def test_the_read_shows_what_the_close_job_will_do(conn) -> None:
    user = await _user(conn)
    today = await conn.fetchval("select (now() at time zone 'UTC')::date")
    await _days(conn, user, *_run(today - timedelta(days=8), 7))  # 7 days, a freeze; yesterday missed
    await _days(conn, user, *_run(today - timedelta(days=2), 1), mode="reality")  # yesterday missed, no freeze
    answer = await conn.fetchval("select engage.streaks_for($1)", user)
    reality, cyber = answer["streaks"]
    assert (cyber["current"], cyber["freezes"], cyber["today_done"], cyber["at_risk"]) == (7, 0, False, True)
    assert (reality["current"], reality["longest"], reality["at_risk"]) == (0, 1, False)


NEW_YORK = ZoneInfo("America/New_York")


def _local(tz: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("events", "days"),
    [
        # DST starts 2026-03-08 02:00 (UTC-5 to UTC-4): each local evening and midnight is its own day.
        (
            ["2026-03-07T23:30", "2026-03-08T00:30", "2026-03-08T23:30", "2026-03-09T00:30"],
            ["2026-03-07", "2026-03-08", "2026-03-08", "2026-03-09"],
        ),
        # DST ends 2026-11-01 02:00 (UTC-4 to UTC-5).
        (
            ["2026-10-31T23:30", "2026-11-01T00:30", "2026-11-01T23:30", "2026-11-02T00:30"],
            ["2026-10-31", "2026-11-01", "2026-11-01", "2026-11-02"],
        ),
    ],
)
async def test_a_streak_across_a_dst_change(conn, events: list[str], days: list[str]) -> None:
    user = await _user(conn, "America/New_York")
    utc_user = await _user(conn)
    seen = []
    for text in events:
        at = _local(NEW_YORK, text)
        await _event(conn, user, at)
        await _event(conn, utc_user, at)
        s = await _streak(conn, user)
        assert s is not None
        seen.append(str(s["last_active"]))
    assert seen == days
    s = await _streak(conn, user)
    assert s is not None and (s["current"], s["tz"]) == (3, "America/New_York")
    # The same instants in UTC fall on other days: 04:30Z, 05:30Z on one day, then the next.
    u = await _streak(conn, utc_user)
    assert u is not None and u["current"] == 2
    # The close job's day follows the offset of the day: New York's 2026-03-08 ends at 04:00Z
    # (UTC-4 since 02:00 that day), 2026-11-01 at 05:00Z (UTC-5 since 02:00).
    for before, after, ended in (
        ("2026-03-09T03:50:00Z", "2026-03-09T04:10:00Z", date(2026, 3, 8)),
        ("2026-11-02T04:50:00Z", "2026-11-02T05:10:00Z", date(2026, 11, 1)),
    ):
        due_before = await conn.fetch(
            "select * from engage.streak_close_due($1) where tz = $2", _z(before), "America/New_York"
        )
        due_after = await conn.fetch(
            "select * from engage.streak_close_due($1) where tz = $2", _z(after), "America/New_York"
        )
        assert ended not in [r["day"] for r in due_before]
        assert ended in [r["day"] for r in due_after]


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_streak_across_the_date_line(conn) -> None:
    east = await _user(conn, "Pacific/Kiritimati")  # UTC+14
    west = await _user(conn, "Pacific/Pago_Pago")  # UTC-11: the same instant, 25 hours behind
    instants = ["2026-06-15T09:30:00Z", "2026-06-15T10:30:00Z", "2026-06-15T11:30:00Z"]
    seen: dict[uuid.UUID, list[str]] = {east: [], west: []}
    for text in instants:
        for user in (east, west):
            await _event(conn, user, _z(text))
            s = await _streak(conn, user)
            assert s is not None
            seen[user].append(str(s["last_active"]))
    assert seen[east] == ["2026-06-15", "2026-06-16", "2026-06-16"]
    assert seen[west] == ["2026-06-14", "2026-06-14", "2026-06-15"]
    for user in (east, west):
        s = await _streak(conn, user)
        assert s is not None and s["current"] == 2
    # At one instant the day that just ended is two days apart on either side of the line.
    due = {
        r["tz"]: r["day"]
        for r in await conn.fetch(
            "select * from engage.streak_close_due($1) where tz in ('Pacific/Kiritimati', 'Pacific/Pago_Pago')",
            _z("2026-06-15T10:30:00Z"),
        )
    }
    assert due == {"Pacific/Kiritimati": date(2026, 6, 15), "Pacific/Pago_Pago": date(2026, 6, 13)}


async def test_streak_achievements_follow_the_longest_run(conn) -> None:
    key = f"st-{uuid.uuid4().hex[:8]}"
    base = {"key": key, "name": "Streaky", "mode": "cyber", "rule": {"kind": "streak", "params": {}}}
    tiers = [{"name": "bronze", "threshold": 2}, {"name": "silver", "threshold": 4}]
    for bad in ({**base, "mode": None}, {**base, "rule": {"kind": "streak", "params": {"days": 3}}}):
        with pytest.raises(asyncpg.PostgresError) as refused:
            async with conn.transaction():
                await conn.fetchval("select engage.upsert($1)", {**bad, "tiers": tiers})
        assert refused.value.detail == "engage.invalid_rule"
    user = await _user(conn)
    earlier = await _user(conn)
    await _days(conn, earlier, *_run(BASE, 5))  # before the achievement: the back-fill's
    await conn.fetchval("select engage.upsert($1)", {**base, "tiers": tiers})
    await _days(conn, user, *_run(BASE, 3), BASE + timedelta(days=5))  # longest 3, current 1
    # The streak row is the progress (no engage.progress row): longest 3 crossed bronze only.
    assert (
        await conn.fetchval("select engage.current_value($1, a) from engage.achievements a where a.key = $2", user, key)
        == 3
    )
    assert await conn.fetchval("select count(*) from engage.progress where user_id = $1", user) == 0
    assert [
        r["tier"]
        for r in await conn.fetch(
            "select u.tier from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
            " where a.key = $1 and u.user_id = $2",
            key,
            user,
        )
    ] == [1]
    assert (
        await conn.fetchval("select engage.value_for($1, a) from engage.achievements a where a.key = $2", earlier, key)
        == 5
    )
    while await conn.fetchval("select engage.backfill_batch($1, 500)", key):
        pass
    unlocked = await conn.fetchval(
        "select count(*) from engage.unlocks u join engage.achievements a on a.id = u.achievement_id"
        " where a.key = $1 and u.user_id = $2",
        key,
        earlier,
    )
    assert unlocked == 2


def _simulate(events: set[int], until: int) -> tuple[int, int, int, list[int]]:
    """The rules, day by day from the first event to `until`: (current, longest, freezes,
    milestones notified)."""
    current = longest = freezes = 0
    notified: list[int] = []
    for day in range(min(events), until + 1):
        if day in events:
            current += 1
            if current % 7 == 0:
                freezes = min(freezes + 1, 2)
            longest = max(longest, current)
            if current in (3, 7, 30, 100):
                notified.append(current)
        elif current > 0:
            if freezes:
                freezes -= 1
            else:
                current = 0
    return current, longest, freezes, notified


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([0, 1, 1, 1, 1, 1, 1, 1, 2, 3]), st.sampled_from(["event"] * 5 + ["close"])),
        min_size=1,
        max_size=40,
    )
)
async def test_the_streak_is_what_a_day_by_day_count_gives_for_any_sequence(conn, steps) -> None:
    """Events move forward by 0 to 3 days (several on one day, gaps), and the close job settles
    days in between. Whatever the interleaving of hook and job, the streak (and its milestones)
    is the day-by-day count of the rules through the last day either saw. (A late event for a
    day already closed is the documented exception, so events here come after the last close.)"""
    # Each example in its own savepoint, rolled back: the close job records each (time zone,
    # day) it settled, and a day closed by an earlier example would not be settled again.
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        await _one_sequence(conn, steps)
    finally:
        await savepoint.rollback()


async def _one_sequence(conn: Any, steps: list[tuple[int, str]]) -> None:
    user = await _user(conn)
    day = 0
    events: set[int] = set()
    last = 0
    for step, kind in steps:
        day += step
        if kind == "close":
            if events:
                await conn.fetchval("select engage.streak_close('UTC', $1)", BASE + timedelta(days=day))
                last = day
                day += 1  # the next event comes after the closed day
            continue
        await _event(conn, user, _noon(BASE + timedelta(days=day)) + timedelta(hours=step))
        events.add(day)
        last = day
    s = await _streak(conn, user)
    if not events:
        assert s is None
        return
    current, longest, freezes, notified = _simulate(events, last)
    assert s is not None
    assert (s["current"], s["longest"], s["freezes"]) == (current, longest, freezes)
    assert [days for _, days in await _milestones(conn, user)] == notified
