"""Own rank and around-me on a real streaming replica: the rank snapshots are unlogged, so the
board job publishes a logged copy for the replicas (xp.publish_replica_board), which
xp.season_standing and seasons.around read on a standby. Before any copy the replica counts the
rank live; a copy the publisher stopped refreshing, or a replica killed, sends the read to the
primary. Same private primary and replica set-up as test_read_replicas.py (its fixtures)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from src.replicas import replica_still_fine, retry_on_primary
from src.seasons import jobs
from tests.fixtures.auth import signed_in
from tests.replicas import test_read_replicas as shared
from tests.replicas.conftest import database_name, environment
from tests.replicas.test_read_replicas import MAX_LAG_S, caught_up, node, until

# the module's fixtures, as in test_read_replicas.py: the app and the tests on the private primary
database_url = shared.database_url
test_env = shared.test_env
db = shared.db
replica_app = shared.replica_app
rclient = shared.rclient

EVERY_S = 1  # the publish cadence of these tests: a copy is stale 2 * 1 + MAX_LAG_S s after it


@pytest.fixture(scope="module")
async def board(db, replica_app) -> AsyncIterator[dict[str, Any]]:
    """The current season's reality board with 30 scored users, the reader (signed in) among
    them, and no replica copy of any board yet (the copied worker database may hold some)."""
    season = await db.fetchval("select (xp.season_for(now())).id")
    reader = await signed_in(db, replica_app)
    users = [reader["id"]] + [
        str(r[0])
        for r in await db.fetch(
            "insert into app.users (username) select 'rr' || substr(md5(random()::text), 1, 12)"
            " from generate_series(1, 29) returning id"
        )
    ]
    for n, user in enumerate(users):
        await db.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)"
            " values ($1, 'reality', $2, $3, now()) on conflict (season_id, mode, user_id)"
            " do update set xp = excluded.xp",
            season,
            uuid.UUID(user),
            1_000_000 + 100 * ((n * 7 + 15) % 30),  # the reader mid-board, all ahead of the copied data
        )
    await db.execute("delete from xp.replica_rank_generations")
    await db.fetchval("select xp.rebuild_board($1, 'reality')", season)
    yield {"season": season, "reader": reader, "users": users}


async def brute_rank(db, season: str, user: str) -> int:
    rank: int = await db.fetchval(
        "select rank from (select user_id, rank() over (order by xp desc, reached_at, user_id) as rank"
        " from xp.season_scores where season_id = $1 and mode = 'reality' and xp > 0) r where user_id = $2",
        season,
        uuid.UUID(user),
    )
    return rank


async def publish(db, replica, database_url: str, every_s: int = EVERY_S) -> None:
    """The board job as the worker runs it, with replicas configured: rebuild, then the copy."""
    with environment(
        DATABASE_REPLICA_URLS=replica.url(database_name(database_url)),
        RANK_REPLICA_SNAPSHOT_EVERY_S=str(every_s),
        DATABASE_REPLICA_MAX_LAG_S=str(MAX_LAG_S),
    ):
        await jobs.rebuild_board({"db": db}, "reality")


async def around_on_primary(db, board: dict[str, Any], around: int = 3) -> dict[str, Any]:
    text = await db.fetchval(
        "select seasons.around($1, 'reality', $2, $3)::text", board["season"], uuid.UUID(board["reader"]["id"]), around
    )
    return json.loads(text)  # type: ignore[no-any-return]


ME = "/api/v1/seasons/current/leaderboards/reality/me?around=3"
PROFILE = "/api/v1/users/me/profile"


async def test_before_any_replica_snapshot_the_replica_counts_the_rank_live(
    rclient, replica_app, replica, db, database_url, board
) -> None:
    # no copy: publishing is off without DATABASE_REPLICA_URLS (this process's environment)
    assert await jobs.publish_replica_board(db, board["season"], "reality") is None
    await caught_up(replica_app, replica, database_url)
    headers = board["reader"]["headers"]
    expected = await brute_rank(db, board["season"], board["reader"]["id"])
    me = await rclient.get(ME, headers=headers)
    assert me.status_code == 200, me.text
    assert me.headers["x-read-from"] == "replica"
    # the live count (rank alone, no lines), while the primary answers from its snapshot
    assert me.json()["rank"] == expected and me.json()["entries"] == []
    assert len((await around_on_primary(db, board))["entries"]) > 1
    profile = await rclient.get(PROFILE, headers=headers)
    assert profile.headers["x-read-from"] == "replica"
    assert profile.json()["season"]["reality"]["rank"] == expected


async def test_own_rank_and_around_me_from_the_replica_copy_equal_the_primarys(
    rclient, replica_app, replica, db, database_url, board
) -> None:
    await publish(db, replica, database_url)
    pointers = await db.fetchrow(
        "select g.generation, g.generated_at, r.generation as copied, r.generated_at as copied_at, r.slot"
        " from xp.rank_generations g join xp.replica_rank_generations r using (season_id, mode)"
        " where season_id = $1 and mode = 'reality'",
        board["season"],
    )
    assert pointers["copied"] == pointers["generation"] and pointers["slot"] in range(5, 9)
    await caught_up(replica_app, replica, database_url)
    headers = board["reader"]["headers"]
    reader = board["reader"]["id"]
    for moved in (False, True):
        if moved:
            # the reader's XP moves after the snapshot (not through the API: no own-write mark),
            # and both sides place the live score on the same snapshot
            await db.execute(
                "update xp.season_scores set xp = xp + 250, reached_at = now()"
                " where season_id = $1 and mode = 'reality' and user_id = $2",
                board["season"],
                uuid.UUID(reader),
            )
            await caught_up(replica_app, replica, database_url)
        primary = await around_on_primary(db, board)
        me = await rclient.get(ME, headers=headers)
        assert me.status_code == 200 and me.headers["x-read-from"] == "replica", me.text
        got = me.json()
        assert datetime.fromisoformat(got.pop("generated_at")) == datetime.fromisoformat(primary.pop("generated_at"))
        assert got == primary and len(got["entries"]) == 7
        profile = await rclient.get(PROFILE, headers=headers)
        assert profile.headers["x-read-from"] == "replica"
        standing = profile.json()["season"]["reality"]
        on_primary = await db.fetchval(
            "select xp.season_standing($1, 'reality', $2)", board["season"], uuid.UUID(reader)
        )
        assert standing["rank"] == on_primary["rank"] and standing["xp"] == on_primary["xp"]
        assert datetime.fromisoformat(standing["generated_at"]) == pointers["copied_at"]
    # exact as of the snapshot: unmoved, the snapshot's rank; moved, the live score placed on it
    assert got["rank"] == next(e["rank"] for e in got["entries"] if e["user"]["id"] == reader)
    # the caller's own write sends their next reads to the primary
    assert (await rclient.patch("/api/v1/users/me", json={"display_name": "me"}, headers=headers)).status_code == 200
    assert (await rclient.get(ME, headers=headers)).headers["x-read-from"] == "primary"
    assert (await rclient.get(PROFILE, headers=headers)).headers["x-read-from"] == "primary"


async def test_a_stale_replica_copy_sends_rank_reads_to_the_primary_and_keeps_the_replica(
    rclient, replica_app, replica, db, database_url, board
) -> None:
    other = await signed_in(db, replica_app)  # no write of theirs: read-your-writes stays out
    await db.execute(
        "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, 'reality', $2, 5, now())",
        board["season"],
        uuid.UUID(other["id"]),
    )
    await db.execute("update xp.replica_rank_generations set generated_at = generated_at - interval '1 hour'")
    await publish(db, replica, database_url)  # a fresh copy, stale 2 * 1 + MAX_LAG_S s from now
    stale_after = await db.fetchval(
        "select stale_after from xp.replica_rank_generations where season_id = $1 and mode = 'reality'", board["season"]
    )
    await caught_up(replica_app, replica, database_url)
    assert (await rclient.get(ME, headers=other["headers"])).headers["x-read-from"] == "replica"
    # the publisher stops: once past stale_after, the replica refuses the copy
    await asyncio.sleep(max(0.0, (stale_after - await db.fetchval("select now()")).total_seconds()) + 0.5)
    await caught_up(replica_app, replica, database_url)
    for path in (ME, PROFILE):
        answer = await rclient.get(path, headers=other["headers"])
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-read-from"] == "primary", path
    # the replica stays in use for everything else
    assert node(replica_app).healthy
    assert (await rclient.get("/api/v1/seasons")).headers["x-read-from"] == "replica"
    # the next publish serves again
    await db.execute("update xp.replica_rank_generations set generated_at = generated_at - interval '1 hour'")
    await publish(db, replica, database_url)
    await caught_up(replica_app, replica, database_url)
    assert (await rclient.get(ME, headers=other["headers"])).headers["x-read-from"] == "replica"


async def test_a_replica_query_cancelled_by_a_slot_drop_is_retried_on_the_primary(
    replica_app, replica, db, database_url, board
) -> None:
    """A standby query still reading a replica slot when the drop of that slot is replayed is
    cancelled after max_standby_streaming_delay: that SQLSTATE is retried on the primary and
    leaves the replica in use."""
    await publish(db, replica, database_url)
    await caught_up(replica_app, replica, database_url)
    slot = await db.fetchval(
        "select slot from xp.replica_rank_generations where season_id = $1 and mode = 'reality'", board["season"]
    )
    await replica.sql("alter system set max_standby_streaming_delay = '1s'")
    await replica.sql("select pg_reload_conf()")
    conn = await asyncpg.connect(replica.url(database_name(database_url)))
    try:
        reading = asyncio.create_task(conn.fetchval(f"select pg_sleep(30) from xp.rank_slot_{slot} limit 1"))
        await asyncio.sleep(0.5)
        for _ in range(2):  # the first copy takes the spare, the second drops `slot`
            await db.execute("update xp.replica_rank_generations set generated_at = generated_at - interval '1 hour'")
            await publish(db, replica, database_url)
        with pytest.raises(asyncpg.PostgresError) as cancelled:
            await asyncio.wait_for(reading, 20)
        assert "conflict with recovery" in str(cancelled.value)
        assert retry_on_primary(cancelled.value) and replica_still_fine(cancelled.value)
    finally:
        await conn.close()
        await replica.sql("alter system reset max_standby_streaming_delay")
        await replica.sql("select pg_reload_conf()")
    await caught_up(replica_app, replica, database_url)


async def test_a_replica_killed_mid_run_never_fails_a_rank_read(
    rclient, replica_app, replica, db, database_url, board
) -> None:
    await publish(db, replica, database_url)
    await caught_up(replica_app, replica, database_url)
    reader = await signed_in(db, replica_app)
    await db.execute(
        "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at) values ($1, 'reality', $2, 7, now())",
        board["season"],
        uuid.UUID(reader["id"]),
    )
    await caught_up(replica_app, replica, database_url)
    statuses: list[int] = []
    sources: list[str] = []
    killer = threading.Timer(0.5, replica.stop, args=("immediate",))
    killer.start()
    deadline = time.monotonic() + 3
    i = 0
    while time.monotonic() < deadline:
        answer = await rclient.get((ME, PROFILE)[i % 2], headers=reader["headers"])
        statuses.append(answer.status_code)
        sources.append(answer.headers.get("x-read-from", ""))
        i += 1
        await asyncio.sleep(0)
    killer.join()
    try:
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        assert "replica" in sources and sources[-1] == "primary"
        assert not node(replica_app).healthy
    finally:
        await replica.start()
    await caught_up(replica_app, replica, database_url)
    await until(lambda: node(replica_app).healthy, what="the replica back in use")
    assert (await rclient.get(ME, headers=reader["headers"])).headers["x-read-from"] == "replica"
