"""Input that used to answer 500 (issue 13): each answers a 4xx problem and writes nothing.

The probe's cases: NUL in strings, keys, query strings and paths; invalid UTF-8; JSON nested
1,000 deep; units of 1e1000000000; ids and cursors beyond int64; payments without Razorpay;
plus the 409 that echoed a constraint name and the unbounded XP metadata.
"""

from __future__ import annotations

import json
import uuid

import pytest

from src.limits import MAX_JSON_DEPTH, METADATA_MAX_BYTES

PROBLEM = "application/problem+json"
TABLES = ("xp.ledger", "store.payment_orders", "notify.outbox", "notify.broadcasts", "notify.devices", "app.users")
BEYOND_INT64 = "9223372036854775808"


async def _counts(db) -> dict[str, int]:
    return {table: await db.fetchval(f"select count(*) from {table}") for table in TABLES}


def _assert_problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers
    body = answer.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    return body


@pytest.fixture
async def bot(api_key_factory) -> dict[str, str]:
    return await api_key_factory("xp:write", "users:read", "challenges:judge", "notifications:write")


def _event(user_id, **overrides) -> dict:
    body = {
        "user": {"id": str(user_id)},
        "activity": "run_km",
        "units": 2,
        "idempotency_key": uuid.uuid4().hex,
        "metadata": {"source": "test"},
    }
    body.update(overrides)
    return body


NUL_EVENTS = {
    "activity": lambda uid: _event(uid, activity="run\u0000km"),
    "idempotency_key": lambda uid: _event(uid, idempotency_key="key\u0000"),
    "discord_id": lambda uid: _event(uid, user={"discord_id": "12\u000034"}),
    "metadata value": lambda uid: _event(uid, metadata={"note": "a\u0000b"}),
    "metadata key": lambda uid: _event(uid, metadata={"no\u0000te": 1}),
}


@pytest.mark.parametrize("field", list(NUL_EVENTS))
async def test_nul_in_any_string_or_key_is_400(client, db, user, bot, field) -> None:
    client.cookies.clear()
    before = await _counts(db)
    answer = await client.post("/api/v1/xp/events", json=NUL_EVENTS[field](user["id"]), headers=bot)
    assert "NUL" in _assert_problem(answer, 400)["detail"]
    assert await _counts(db) == before


async def test_an_escaped_backslash_before_u0000_is_not_a_nul(client, user, bot) -> None:
    client.cookies.clear()
    answer = await client.post(
        "/api/v1/xp/events", json=_event(user["id"], metadata={"path": "C:\\u0000"}), headers=bot
    )
    assert answer.status_code == 201, answer.text


async def test_nul_in_a_cursor_or_a_path_is_400(client, db, user) -> None:
    client.cookies.clear()
    before = await _counts(db)
    for path in (
        "/api/v1/seasons/current/leaderboards/reality?cursor=%00",
        "/api/v1/leaderboards/all-time?cursor=a%00b",
        "/api/v1/users/someone%00else",
    ):
        _assert_problem(await client.get(path, headers=user["headers"]), 400)
    answer = await client.delete("/api/v1/users/me/devices/token%00token", headers=user["headers"])
    _assert_problem(answer, 400)
    assert await _counts(db) == before


async def test_invalid_utf8_in_body_or_query_is_400(client, db, user, bot) -> None:
    client.cookies.clear()
    before = await _counts(db)
    raw = json.dumps(_event(user["id"], metadata={"note": "XX"})).encode().replace(b"XX", b"\xff\xfe")
    answer = await client.post("/api/v1/xp/events", content=raw, headers={**bot, "content-type": "application/json"})
    assert "UTF-8" in _assert_problem(answer, 400)["detail"]
    _assert_problem(await client.get("/api/v1/leaderboards/all-time?cursor=%ff%fe"), 400)
    assert await _counts(db) == before


async def test_json_nested_1000_deep_is_400(client, db, user, bot) -> None:
    client.cookies.clear()
    before = await _counts(db)
    deep = '{"d":' * 1000 + "{}" + "}" * 1000  # built as text: json.dumps itself gives up at this depth
    in_metadata = json.dumps(_event(user["id"], metadata="DEEP")).replace('"DEEP"', deep)
    whole_body = "[" * 1000 + "]" * 1000
    for raw in (in_metadata, whole_body):
        answer = await client.post(
            "/api/v1/xp/events", content=raw.encode(), headers={**bot, "content-type": "application/json"}
        )
        assert "deeper" in _assert_problem(answer, 400)["detail"]
    assert await _counts(db) == before


async def test_nesting_within_the_limit_is_accepted(client, user, bot) -> None:
    client.cookies.clear()
    nested: dict = {}
    for _ in range(MAX_JSON_DEPTH - 3):  # the body and metadata objects are two levels already
        nested = {"d": nested}
    answer = await client.post("/api/v1/xp/events", json=_event(user["id"], metadata=nested), headers=bot)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("units", "status"),
    [
        ("1e1000000000", 400),  # msgspec's decoder refuses the number itself
        ('"1e1000000000"', 422),  # a decimal string decodes, then fails the range check
        ('"-1e1000000000"', 422),
        ("1e20", 422),
        ('"NaN"', 422),
        ('"Infinity"', 422),
    ],
)
async def test_units_out_of_any_range_is_4xx(client, db, user, bot, units, status) -> None:
    client.cookies.clear()
    before = await _counts(db)
    raw = json.dumps(_event(user["id"], units="UNITS")).replace('"UNITS"', units)
    answer = await client.post(
        "/api/v1/xp/events", content=raw.encode(), headers={**bot, "content-type": "application/json"}
    )
    _assert_problem(answer, status)
    assert await _counts(db) == before


@pytest.mark.parametrize("path", ["/api/v1/users/me/xp", "/api/v1/notifications", "/api/v1/users/me/wallet"])
async def test_cursor_beyond_int64_is_400(client, db, user, path) -> None:
    client.cookies.clear()
    before = await _counts(db)
    _assert_problem(await client.get(f"{path}?cursor={BEYOND_INT64}", headers=user["headers"]), 400)
    ok = await client.get(f"{path}?cursor=9223372036854775807", headers=user["headers"])
    assert ok.status_code == 200, ok.text
    assert await _counts(db) == before


async def test_notification_id_beyond_int64_is_400(client, db, user) -> None:
    client.cookies.clear()
    before = await _counts(db)
    answer = await client.post(f"/api/v1/notifications/{BEYOND_INT64}/read", headers=user["headers"])
    _assert_problem(answer, 400)
    assert await _counts(db) == before


async def test_payment_order_without_razorpay_is_503_and_leaves_no_order(client, db, user) -> None:
    client.cookies.clear()
    before = await _counts(db)
    answer = await client.post("/api/v1/payments/orders", json={"pack_id": "pack-100"}, headers=user["headers"])
    assert "not configured" in _assert_problem(answer, 503)["detail"]
    assert await _counts(db) == before


async def test_taken_username_names_the_field_not_the_constraint(client, db, user) -> None:
    client.cookies.clear()
    other = f"taken{uuid.uuid4().hex[:8]}"
    await db.execute("insert into app.users (username) values ($1)", other)
    before = await _counts(db)
    answer = await client.patch("/api/v1/users/me", json={"username": other}, headers=user["headers"])
    body = _assert_problem(answer, 409)
    assert body["detail"] == "username is taken"
    assert body["errors"] == [{"key": "username", "message": "username is taken"}]
    assert "constraint" not in answer.text and "users_username_key" not in answer.text
    assert await _counts(db) == before
    assert await db.fetchval("select username from app.users where id = $1", user["id"]) == user["username"]


async def test_metadata_over_the_size_limit_is_422(client, db, user, bot) -> None:
    client.cookies.clear()
    before = await _counts(db)
    big = {"blob": "x" * 200_000}
    answer = await client.post("/api/v1/xp/events", json=_event(user["id"], metadata=big), headers=bot)
    assert str(METADATA_MAX_BYTES) in _assert_problem(answer, 422)["detail"]
    assert await _counts(db) == before
    fits = {"blob": "x" * (METADATA_MAX_BYTES - 100)}
    answer = await client.post("/api/v1/xp/events", json=_event(user["id"], metadata=fits), headers=bot)
    assert answer.status_code == 201, answer.text


async def test_broadcast_data_over_the_size_limit_is_422(client, db, admin) -> None:
    client.cookies.clear()
    before = await _counts(db)
    body = {"title": "hi", "body": "there", "data": {"blob": "x" * 20_000}}
    answer = await client.post("/api/v1/admin/notifications/broadcast", json=body, headers=admin["headers"])
    _assert_problem(answer, 422)
    assert await _counts(db) == before


async def test_a_body_over_the_size_limit_is_413(client, db, user, bot) -> None:
    client.cookies.clear()
    before = await _counts(db)
    raw = json.dumps(_event(user["id"], metadata={"blob": "x" * 1_100_000})).encode()
    answer = await client.post("/api/v1/xp/events", content=raw, headers={**bot, "content-type": "application/json"})
    _assert_problem(answer, 413)
    assert await _counts(db) == before


@pytest.mark.parametrize("where", ["checkout", "webhook"])
async def test_non_ascii_signatures_are_400_not_500(client, db, app, user, where) -> None:
    """Found by schemathesis: hmac.compare_digest raises TypeError on non-ASCII str."""
    import dataclasses

    client.cookies.clear()
    real = app.state.settings
    app.state.settings = dataclasses.replace(real, razorpay_key_secret="secret", razorpay_webhook_secret="hook")
    before = await _counts(db)
    try:
        if where == "checkout":
            body = {"razorpay_order_id": "order_1", "razorpay_payment_id": "pay_1", "razorpay_signature": "s\u00e9g"}
            answer = await client.post("/api/v1/payments/verify", json=body, headers=user["headers"])
        else:
            answer = await client.post(
                "/api/v1/webhooks/razorpay",
                content=b'{"event": "payment.captured"}',
                headers={"content-type": "application/json", "x-razorpay-signature": "s\u00e9g".encode("latin-1")},
            )
    finally:
        app.state.settings = real
    assert "signature" in _assert_problem(answer, 400)["detail"]
    assert await _counts(db) == before
