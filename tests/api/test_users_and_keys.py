"""Users' own account, public profiles, admin-managed API keys and their scopes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

from src.settings import ROOT


async def test_patch_me_and_taken_username_is_409(client, user, db) -> None:
    client.cookies.clear()
    other = f"taken{uuid.uuid4().hex[:8]}"
    await db.execute("insert into app.users (username) values ($1)", other)
    ok = await client.patch("/api/v1/users/me", json={"display_name": "Ada L."}, headers=user["headers"])
    assert ok.status_code == 200 and ok.json()["display_name"] == "Ada L."
    taken = await client.patch("/api/v1/users/me", json={"username": other.upper()}, headers=user["headers"])
    assert taken.status_code == 409
    assert taken.headers["content-type"].startswith("application/problem+json")
    bad = await client.patch("/api/v1/users/me", json={"username": "x"}, headers=user["headers"])
    assert bad.status_code == 400


async def test_timezone_defaults_to_utc_and_takes_only_iana_names(client, user, db) -> None:
    client.cookies.clear()
    me = await client.get("/api/v1/users/me", headers=user["headers"])
    assert me.json()["timezone"] == "UTC"
    ok = await client.patch("/api/v1/users/me", json={"timezone": "Pacific/Kiritimati"}, headers=user["headers"])
    assert ok.status_code == 200 and ok.json()["timezone"] == "Pacific/Kiritimati"
    assert await db.fetchval("select timezone from app.users where id = $1", user["id"]) == "Pacific/Kiritimati"
    unknown = await client.patch("/api/v1/users/me", json={"timezone": "Mars/Olympus"}, headers=user["headers"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "users.unknown_timezone"
    malformed = await client.patch("/api/v1/users/me", json={"timezone": "../etc"}, headers=user["headers"])
    assert malformed.status_code == 400
    assert (await client.get("/api/v1/users/me", headers=user["headers"])).json()["timezone"] == "Pacific/Kiritimati"


async def test_public_profile_hides_private_fields(client, user) -> None:
    answer = await client.get(f"/api/v1/users/{user['username']}")
    assert answer.status_code == 200
    assert answer.json()["username"] == user["username"]
    assert "email" not in answer.json() and "roles" not in answer.json()
    assert (await client.get("/api/v1/users/nobody-here-xyz")).status_code == 404


async def test_delete_me_erases_personal_data_and_ends_sessions(client, user, db) -> None:
    client.cookies.clear()
    assert (await client.delete("/api/v1/users/me", headers=user["headers"])).status_code == 204
    row = await db.fetchrow("select username, email, display_name, deleted_at from app.users where id = $1", user["id"])
    assert row["email"] is None and row["display_name"] is None and row["deleted_at"] is not None
    assert row["username"].startswith("deleted-")
    assert (await client.get("/api/v1/users/me", headers=user["headers"])).status_code == 404
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert refresh.status_code == 401


async def test_admin_routes_need_an_admin(client, user, admin) -> None:
    client.cookies.clear()
    assert (await client.get("/api/v1/admin/api-keys")).status_code == 401
    assert (await client.get("/api/v1/admin/api-keys", headers=user["headers"])).status_code == 403
    assert (await client.get("/api/v1/admin/api-keys", headers=admin["headers"])).status_code == 200
    assert (await client.get("/saq/api/queues", headers=user["headers"])).status_code == 403
    assert (await client.get("/saq/api/queues", headers=admin["headers"])).status_code == 200


async def test_api_key_lifecycle_scopes_and_secrecy(client, admin, caplog) -> None:
    client.cookies.clear()
    caplog.set_level(logging.DEBUG)
    created = await client.post(
        "/api/v1/admin/api-keys", json={"name": "discord bot", "scopes": ["users:read"]}, headers=admin["headers"]
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("xpk_") and created.json()["scopes"] == ["users:read"]
    secret = key.split("_", 2)[2]

    lookup = f"/api/v1/users/lookup?id={admin['id']}"
    assert (await client.get(lookup, headers={"X-API-Key": key})).status_code == 200
    listed = await client.get("/api/v1/admin/api-keys", headers=admin["headers"])
    assert secret not in listed.text and key not in listed.text
    import asyncio

    for _ in range(50):  # last_used_at is written off the request path
        listed = await client.get("/api/v1/admin/api-keys", headers=admin["headers"])
        entry = next(k for k in listed.json() if k["id"] == created.json()["id"])
        if entry["last_used_at"]:
            break
        await asyncio.sleep(0.05)
    assert entry["last_used_at"] is not None

    revoke = await client.delete(f"/api/v1/admin/api-keys/{created.json()['id']}", headers=admin["headers"])
    assert revoke.status_code == 204
    assert (await client.get(lookup, headers={"X-API-Key": key})).status_code == 401
    assert secret not in caplog.text


async def test_missing_scope_is_403_and_a_bad_key_is_401(client, api_key_factory, user) -> None:
    client.cookies.clear()
    writer = await api_key_factory("xp:write")
    lookup = f"/api/v1/users/lookup?id={user['id']}"
    assert (await client.get(lookup, headers=writer)).status_code == 403
    assert (await client.get(lookup, headers={"X-API-Key": "xpk_nope_nope"})).status_code == 401
    assert (await client.get(lookup, headers=user["headers"])).status_code == 403  # a user is not a service
    reader = await api_key_factory("users:read")
    found = await client.get(lookup, headers=reader)
    assert found.status_code == 200 and found.json()["id"] == str(user["id"])


async def test_api_key_rate_limit(client, app, api_key_factory, user) -> None:
    import dataclasses

    client.cookies.clear()
    real = app.state.settings
    app.state.settings = dataclasses.replace(real, api_key_max_per_minute=3)
    try:
        reader = await api_key_factory("users:read")
        lookup = f"/api/v1/users/lookup?id={user['id']}"
        statuses = [(await client.get(lookup, headers=reader)).status_code for _ in range(4)]
    finally:
        app.state.settings = real
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


def test_cli_creates_admins_and_api_keys(test_env) -> None:
    env = dict(os.environ)
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    admin = subprocess.run(
        [sys.executable, "-m", "src.cli", "users", "create-admin", email],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert admin.returncode == 0, admin.stderr
    assert "is an admin" in admin.stdout
    created = subprocess.run(
        [sys.executable, "-m", "src.cli", "api-keys", "create", "judge", "--scope", "challenges:judge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    last = created.stdout.strip().splitlines()[-1]
    assert last.startswith("xpk_") and len(last.split("_")) == 3
