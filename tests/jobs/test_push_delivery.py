"""Push delivery through the real firebase-admin client to a local FCM fake."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

import src.notifications.jobs as jobs
from tests.fakes.fcm import fake_fcm


@pytest.fixture
def fcm(tmp_path, monkeypatch, test_env):
    with fake_fcm(tmp_path) as (fake, endpoint, credentials):
        monkeypatch.setenv("FIREBASE_CREDENTIALS", str(credentials))
        monkeypatch.setenv("FCM_ENDPOINT", endpoint)
        yield fake


async def _user_with_devices(db, *tokens: str) -> uuid.UUID:
    user = await db.fetchval("insert into app.users (username) values ($1) returning id", f"p{uuid.uuid4().hex[:12]}")
    for token in tokens:
        await db.fetchval("select notify.device_register($1, $2, 'android')", user, token)
    return user


def _for(fake, tokens) -> list[dict]:
    return [m for m in fake.accepted if m["token"] in tokens]


async def test_a_level_up_pushes_once_to_each_device(fcm, db) -> None:
    tokens = [f"tok-{uuid.uuid4().hex}" for _ in range(2)]
    user = await _user_with_devices(db, *tokens)
    await db.fetchval("select xp.award($1, 'run_km', 2, 'bot', $2)", user, f"push-{user}")  # level 3
    await jobs.deliver_pushes({"db": db})
    await jobs.deliver_pushes({"db": db})  # nothing is sent twice
    pushed = _for(fcm, tokens)
    assert sorted(m["token"] for m in pushed) == sorted(tokens)
    assert {m["data"]["kind"] for m in pushed} == {"level_up"}
    assert len({m["data"]["notification_id"] for m in pushed}) == 1
    feed = await db.fetchval("select notify.feed($1, false, null, 10)", user)
    assert [i["kind"] for i in feed["items"]] == ["level_up"]


async def test_unregistered_tokens_are_forgotten(fcm, db) -> None:
    good, bad = f"tok-{uuid.uuid4().hex}", f"bad-{uuid.uuid4().hex}"
    user = await _user_with_devices(db, good, bad)
    await db.fetchval("select notify.enqueue($1, 'broadcast', 'Hello', 'there')", user)
    await jobs.deliver_pushes({"db": db})
    assert [m["token"] for m in _for(fcm, [good, bad])] == [good]
    assert await db.fetchval("select count(*) from notify.devices where token = $1", bad) == 0
    assert await db.fetchval("select state from notify.deliveries where token = $1", bad) == "dead"


@pytest.mark.slow
async def test_a_transient_503_is_retried_later(fcm, db) -> None:
    flaky = f"down-{uuid.uuid4().hex}"
    user = await _user_with_devices(db, flaky)
    await db.fetchval("select notify.enqueue($1, 'broadcast', 'Later', 'please')", user)
    await jobs.deliver_pushes({"db": db})  # firebase-admin retries a few times itself, then gives up
    row = await db.fetchrow(
        "select state, attempts, next_attempt_at > now() as later from notify.deliveries where token = $1", flaky
    )
    assert (row["state"], row["attempts"], row["later"]) == ("pending", 1, True)
    fcm.down = False
    await db.execute("update notify.deliveries set next_attempt_at = now() where token = $1", flaky)
    await jobs.deliver_pushes({"db": db})
    assert len(_for(fcm, [flaky])) == 1
    assert await db.fetchval("select state from notify.deliveries where token = $1", flaky) == "sent"


async def test_a_sender_failing_after_half_a_batch_loses_nothing_and_sends_nothing_twice(fcm, db, monkeypatch) -> None:
    tokens = [f"tok-{uuid.uuid4().hex}" for _ in range(4)]
    user = await _user_with_devices(db, *tokens)
    await db.fetchval("select notify.enqueue($1, 'broadcast', 'Half', 'and half')", user)
    from src.notifications import fcm as adapter

    real_send = adapter.send
    calls = {"n": 0}

    def send_then_die(credentials, endpoint, pushes):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed mid-batch")
        return real_send(credentials, endpoint, pushes)

    monkeypatch.setattr(jobs, "CHUNK", 2)
    monkeypatch.setattr(adapter, "send", send_then_die)
    with pytest.raises(RuntimeError):
        await jobs.deliver_pushes({"db": db})
    assert len(_for(fcm, tokens)) == 2  # the first chunk went and was acknowledged
    monkeypatch.setattr(adapter, "send", real_send)
    await jobs.deliver_pushes({"db": db})  # a restarted worker sends the rest
    pushed = _for(fcm, tokens)
    assert sorted(m["token"] for m in pushed) == sorted(tokens)  # each device exactly once


async def test_a_new_notification_wakes_the_worker(database_url, db) -> None:
    from src.worker.wakeup import listen

    class Queue:
        def __init__(self) -> None:
            self.woken = asyncio.Event()

        async def enqueue(self, name, **kwargs):
            assert name == "deliver_pushes"
            self.woken.set()

    queue = Queue()
    listener = await listen(database_url.replace("postgres://", "postgresql://"), queue)
    assert listener is not None
    try:
        user = await _user_with_devices(db)
        conn = await asyncpg.connect(database_url)
        try:
            await conn.fetchval("select notify.enqueue($1, 'broadcast', 'Wake', 'up')", user)
        finally:
            await conn.close()
        await asyncio.wait_for(queue.woken.wait(), timeout=2)
    finally:
        await listener.close()


async def test_without_firebase_credentials_nothing_is_claimed(db, test_env, monkeypatch) -> None:
    monkeypatch.delenv("FIREBASE_CREDENTIALS", raising=False)
    assert await jobs.deliver_pushes({"db": db}) == 0


async def test_a_real_worker_starts_the_listener(test_env) -> None:
    from saq import Queue, Worker

    from src.worker import TASKS, context

    queue = Queue.from_url(test_env["REDIS_URL"], name=f"{test_env['XPCORE_QUEUE']}-wake")
    worker = Worker(queue, functions=TASKS, startup=context.startup, shutdown=context.shutdown, concurrency=1)
    await context.startup(worker.context)
    try:
        assert worker.context.get("listener") is not None
    finally:
        await context.shutdown(worker.context)
        await queue.disconnect()
