"""Devices, the in-app feed and broadcasts over HTTP."""

from __future__ import annotations

import uuid

from src.notifications.jobs import run_broadcast, sweep_broadcasts


async def test_a_level_up_lands_in_the_feed_once_and_can_be_read(client, user, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    body = {"user": {"id": str(user["id"])}, "activity": "run_km", "units": 2, "idempotency_key": "lvl-feed"}
    for _ in range(2):  # a replay must not notify again
        await client.post("/api/v1/xp/events", json=body, headers=bot)
    feed = (await client.get("/api/v1/notifications", headers=user["headers"])).json()
    assert [i["kind"] for i in feed["items"]] == ["level_up"] and feed["unread_count"] == 1
    item = feed["items"][0]
    assert item["data"]["level"] == 3 and item["read_at"] is None
    assert (await client.post(f"/api/v1/notifications/{item['id']}/read", headers=user["headers"])).status_code == 204
    after = (await client.get("/api/v1/notifications?unread=true", headers=user["headers"])).json()
    assert after["items"] == [] and after["unread_count"] == 0


async def test_read_state_is_per_user(client, user, admin, db) -> None:
    client.cookies.clear()
    theirs = await db.fetchval("select notify.enqueue($1, 'broadcast', 'Hi', 'for admin')", admin["id"])
    assert (await client.post(f"/api/v1/notifications/{theirs}/read", headers=user["headers"])).status_code == 404
    for n in range(3):
        await db.fetchval("select notify.enqueue($1, 'broadcast', $2, 'b')", user["id"], f"t{n}")
    assert (await client.post("/api/v1/notifications/read-all", headers=user["headers"])).status_code == 204
    assert (await client.get("/api/v1/notifications", headers=user["headers"])).json()["unread_count"] == 0
    assert (await client.get("/api/v1/notifications", headers=admin["headers"])).json()["unread_count"] == 1


async def test_feed_pages_newest_first(client, user, db) -> None:
    client.cookies.clear()
    for n in range(5):
        await db.fetchval("select notify.enqueue($1, 'broadcast', $2, 'b')", user["id"], f"n{n}")
    first = (await client.get("/api/v1/notifications?limit=3", headers=user["headers"])).json()
    rest = (
        await client.get(f"/api/v1/notifications?limit=3&cursor={first['next_cursor']}", headers=user["headers"])
    ).json()
    titles = [i["title"] for i in first["items"] + rest["items"]]
    assert titles == ["n4", "n3", "n2", "n1", "n0"] and rest["next_cursor"] is None


async def test_a_device_token_has_one_owner(client, user, admin, db) -> None:
    client.cookies.clear()
    token = f"fcm-{uuid.uuid4().hex}"
    created = await client.post(
        "/api/v1/users/me/devices", json={"token": token, "platform": "android"}, headers=user["headers"]
    )
    assert created.status_code == 201 and created.json()["platform"] == "android"
    moved = await client.post(
        "/api/v1/users/me/devices", json={"token": token, "platform": "ios"}, headers=admin["headers"]
    )
    assert moved.status_code == 201
    assert str(await db.fetchval("select user_id from notify.devices where token = $1", token)) == str(admin["id"])
    # the former owner cannot remove it any more; the owner can
    assert (await client.delete(f"/api/v1/users/me/devices/{token}", headers=user["headers"])).status_code == 204
    assert await db.fetchval("select count(*) from notify.devices where token = $1", token) == 1
    assert (await client.delete(f"/api/v1/users/me/devices/{token}", headers=admin["headers"])).status_code == 204
    assert await db.fetchval("select count(*) from notify.devices where token = $1", token) == 0
    bad = await client.post(
        "/api/v1/users/me/devices", json={"token": token, "platform": "fridge"}, headers=user["headers"]
    )
    assert bad.status_code == 400


async def test_broadcast_fans_out_in_batches_once(client, admin, user, db, monkeypatch) -> None:
    client.cookies.clear()
    import src.notifications.jobs as jobs

    monkeypatch.setattr(jobs, "BATCH", 3)  # several batches even on a small test database
    denied = await client.post(
        "/api/v1/admin/notifications/broadcast", json={"title": "x", "body": "y"}, headers=user["headers"]
    )
    assert denied.status_code == 403
    accepted = await client.post(
        "/api/v1/admin/notifications/broadcast",
        json={"title": "Season 2 is here", "body": "New boards", "data": {"v": 1}},
        headers=admin["headers"],
    )
    assert accepted.status_code == 202
    broadcast_id = accepted.json()["id"]
    ctx = {"db": db}
    written = await run_broadcast(ctx, broadcast_id=broadcast_id)
    live = await db.fetchval("select count(*) from app.users where deleted_at is null")
    assert written == live
    assert await run_broadcast(ctx, broadcast_id=broadcast_id) == 0 and await sweep_broadcasts(ctx) == 0
    copies = await db.fetchval(
        "select count(*) from notify.outbox where kind = 'broadcast' and data->>'broadcast_id' = $1", str(broadcast_id)
    )
    assert copies == live
    feed = (await client.get("/api/v1/notifications", headers=user["headers"])).json()
    assert any(i["title"] == "Season 2 is here" and i["data"]["v"] == 1 for i in feed["items"])


async def test_a_broadcast_interrupted_mid_way_resumes_without_duplicates(db, admin) -> None:
    broadcast_id = await db.fetchval("select notify.broadcast_create($1, 'Resume', 'me', '{}')", admin["id"])
    first = await db.fetchval("select notify.broadcast_batch($1, 2)", broadcast_id)  # then the worker "dies"
    assert first == 2
    await db.execute("update notify.broadcasts set cursor_user_id = null where id = $1", broadcast_id)  # lost progress
    total = await sweep_broadcasts({"db": db})
    live = await db.fetchval("select count(*) from app.users where deleted_at is null")
    copies = await db.fetchval(
        "select count(*) from notify.outbox where kind = 'broadcast' and data->>'broadcast_id' = $1", str(broadcast_id)
    )
    assert copies == live and total >= live - 2
