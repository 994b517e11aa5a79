"""The fast lane (src/fast_lane.py) answers exactly what Litestar answers: the same requests,
good and bad, sent to the app with the lane and to one with FAST_LANE=false, get the same
status, content type and document; the lane answers the plain cases itself and hands every
other one to Litestar."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from src.limits import MAX_BODY_BYTES
from tests.fixtures.auth import create_user, signed_in

# Fields that name the row or the moment, not the answer.
VOLATILE = ("event_id", "user_id", "generated_at")


@pytest.fixture(scope="module")
async def plain(test_env: dict[str, str]) -> AsyncIterator[Any]:
    """A second app on the same database with the lane switched off."""
    from src.app import create_app
    from src.settings import get_settings, load_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAST_LANE", "false")
        get_settings.cache_clear()
        app = create_app(load_settings())
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


def _shape(answer: Any) -> tuple[int, str, Any]:
    kind = answer.headers.get("content-type", "")
    try:
        body = answer.json()
    except ValueError:
        body = answer.text
    return answer.status_code, kind, _stable(body)


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


async def test_award_answers_match_litestar(client, plain, app, db, api_key_factory) -> None:
    bot = await api_key_factory("xp:write")
    reader = await api_key_factory("users:read")
    lane = app.state.fast_lane
    for twin in (client, plain):
        twin.cookies.clear()
    # Each app awards its own user the same sequence, so totals, levels and replays line up.
    users = [(await create_user(db))["id"] for _ in range(2)]
    user_tokens = [await signed_in(db, app) for _ in range(2)]
    run, stranger = uuid.uuid4().hex[:8], str(uuid.uuid4())

    def cases(n: int) -> list[tuple[str, dict[str, str], Any, bool]]:
        """(name, headers, body, answered by the lane) for app n."""
        user, key = str(users[n]), f"{run}-{n}"
        event = {"user": {"id": user}, "activity": "run_km", "units": 2, "idempotency_key": f"{key}-a"}
        json_type = {"content-type": "application/json"}
        return [
            ("award", {**bot, **json_type}, event, True),
            ("replay", {**bot, **json_type}, event, True),
            ("same key, other request", {**bot, **json_type}, {**event, "units": 3}, True),
            (
                "unknown activity",
                {**bot, **json_type},
                {**event, "activity": "nope", "idempotency_key": f"{key}-b"},
                True,
            ),
            ("units out of range", {**bot, **json_type}, {**event, "units": 1e30, "idempotency_key": f"{key}-c"}, True),
            ("two references", {**bot, **json_type}, {**event, "user": {"id": user, "discord_id": "1"}}, True),
            ("unknown user", {**bot, **json_type}, {**event, "user": {"id": stranger}}, True),
            ("user token, not self-report", {**user_tokens[n]["headers"], **json_type}, event, True),
            (
                "charset",
                {**bot, "content-type": "application/json; charset=utf-8"},
                {**event, "idempotency_key": f"{key}-d"},
                True,
            ),
            (
                "units beyond a float",
                {**bot, **json_type},
                json.dumps(event).replace('"units": 2', '"units": 1e1000000000').encode(),
                False,
            ),
            ("missing field", {**bot, **json_type}, {"user": {"id": user}, "activity": "run_km"}, False),
            ("wrong type", {**bot, **json_type}, {**event, "units": "two"}, False),
            ("unknown field", {**bot, **json_type}, {**event, "extra": 1}, False),
            ("NUL", {**bot, **json_type}, {**event, "activity": "run\u0000km"}, False),
            ("deep", {**bot, **json_type}, {**event, "metadata": _deep(40)}, False),
            ("not JSON", {**bot, **json_type}, b"{nope", False),
            ("over the body limit", {**bot, **json_type}, {**event, "metadata": {"x": "y" * MAX_BODY_BYTES}}, False),
            ("text/plain", {**bot, "content-type": "text/plain"}, {**event, "idempotency_key": f"{key}-e"}, False),
            ("no credentials", json_type, event, False),
            ("bad API key", {"X-API-Key": "xpk_nope_nope", **json_type}, event, False),
            ("key without xp:write", {**reader, **json_type}, event, False),
            (
                "Origin (CORS)",
                {**bot, **json_type, "origin": "https://example.com"},
                {**event, "idempotency_key": f"{key}-f"},
                False,
            ),
        ]

    for (name, headers, body, fast), (_, plain_headers, plain_body, _) in zip(cases(0), cases(1), strict=True):
        before = lane.answered
        sent = [
            await twin.post(
                "/api/v1/xp/events",
                headers=h,
                **({"content": b} if isinstance(b, bytes) else {"content": json.dumps(b)}),
            )
            for twin, h, b in ((client, headers, body), (plain, plain_headers, plain_body))
        ]
        # the plain app's answers name its own user and keys
        same = json.dumps(_shape(sent[1])).replace(f"{run}-1", f"{run}-0").replace(str(users[1]), str(users[0]))
        assert json.dumps(_shape(sent[0])) == same, name
        assert lane.answered - before == (1 if fast else 0), name
        assert sent[0].status_code < 500, name


def _deep(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


async def test_reads_match_litestar(client, plain, app, db, api_key_factory) -> None:
    lane = app.state.fast_lane
    for twin in (client, plain):
        twin.cookies.clear()
    bot = await api_key_factory("xp:write")
    someone = await signed_in(db, app)
    nobody = await signed_in(db, app)  # no XP: rank null
    award = {"user": {"id": str(someone["id"])}, "activity": "run_km", "units": 3, "idempotency_key": uuid.uuid4().hex}
    assert (await client.post("/api/v1/xp/events", json=award, headers=bot)).status_code == 201
    board = "/api/v1/seasons/current/leaderboards/reality/me"
    cases = [
        ("profile", "/api/v1/users/me/profile", someone["headers"], True),
        ("profile, no XP", "/api/v1/users/me/profile", nobody["headers"], True),
        ("own rank", f"{board}?around=0", someone["headers"], True),
        ("around-me, default", board, someone["headers"], True),
        ("around-me, 50", f"{board}?around=50", someone["headers"], True),
        ("no rank", board, nobody["headers"], True),
        ("cyber", "/api/v1/seasons/current/leaderboards/cyber/me", someone["headers"], True),
        ("a month without a season", "/api/v1/seasons/1999-01/leaderboards/reality/me", someone["headers"], True),
        ("around 51", f"{board}?around=51", someone["headers"], False),
        ("around -1", f"{board}?around=-1", someone["headers"], False),
        ("another parameter", f"{board}?around=1&x=2", someone["headers"], False),
        ("unknown mode", "/api/v1/seasons/current/leaderboards/chess/me", someone["headers"], False),
        ("bad season", "/api/v1/seasons/12/leaderboards/reality/me", someone["headers"], False),
        ("profile with a query", "/api/v1/users/me/profile?x=1", someone["headers"], False),
        ("anonymous", "/api/v1/users/me/profile", {}, False),
        ("bad token", "/api/v1/users/me/profile", {"Authorization": "Bearer nope"}, False),
        ("an API key", "/api/v1/users/me/profile", bot, False),
    ]
    for name, path, headers, fast in cases:
        before = lane.answered
        answers = [await twin.get(path, headers=headers) for twin in (client, plain)]
        assert _shape(answers[0]) == _shape(answers[1]), name
        assert lane.answered - before == (1 if fast else 0), name
        assert answers[0].status_code < 500, name
