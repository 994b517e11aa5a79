"""Streaks over HTTP: the caller's streak per mode in their time zone, the check-in that counts
today once, an award that counts the day, and the answers as the OpenAPI document says."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from src.engagement.answers import StreakCheckIn, StreakSet


def _validator(document: dict[str, Any], path: str, method: str) -> Any:
    from openapi_schema_validator import OAS31Validator

    schema = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return OAS31Validator({**schema, "components": document["components"]})


async def test_check_in_counts_today_once_and_the_read_shows_it(client, user, db, document) -> None:
    client.cookies.clear()
    zone = await client.patch("/api/v1/users/me", json={"timezone": "Pacific/Kiritimati"}, headers=user["headers"])
    assert zone.status_code == 200, zone.text
    before = await client.get("/api/v1/users/me/streaks", headers=user["headers"])
    assert before.status_code == 200, before.text
    _validator(document, "/api/v1/users/me/streaks", "get").validate(before.json())
    empty = msgspec.convert(before.json(), StreakSet, strict=False)
    today = await db.fetchval("select (now() at time zone 'Pacific/Kiritimati')::date")
    assert (empty.timezone, empty.today) == ("Pacific/Kiritimati", today)
    assert [(s.mode, s.current, s.last_day, s.today_done) for s in empty.streaks] == [
        ("reality", 0, None, False),
        ("cyber", 0, None, False),
    ]

    path = "/api/v1/users/me/streaks/{mode}/check-in"
    first = await client.post("/api/v1/users/me/streaks/reality/check-in", headers=user["headers"])
    assert first.status_code == 200, first.text
    _validator(document, path, "post").validate(first.json())
    counted = msgspec.convert(first.json(), StreakCheckIn, strict=False)
    assert counted.counted and (counted.streak.current, counted.streak.last_day) == (1, today)
    again = await client.post("/api/v1/users/me/streaks/reality/check-in", headers=user["headers"])
    assert again.status_code == 200 and again.json() == {**first.json(), "counted": False}

    # An award in the other mode counts its day too (no check-in needed).
    await db.fetchval("select xp.award($1, 'commit', 1, 'activity', $2)", user["id"], uuid.uuid4().hex)
    after = msgspec.convert(
        (await client.get("/api/v1/users/me/streaks", headers=user["headers"])).json(), StreakSet, strict=False
    )
    assert [(s.mode, s.current, s.longest, s.today_done, s.at_risk) for s in after.streaks] == [
        ("reality", 1, 1, True, False),
        ("cyber", 1, 1, True, False),
    ]


async def test_an_unknown_mode_is_a_404_and_strangers_are_refused(client, user) -> None:
    client.cookies.clear()
    answer = await client.post("/api/v1/users/me/streaks/moon/check-in", headers=user["headers"])
    assert answer.status_code == 404 and answer.json()["code"] == "engage.unknown_mode"
    assert (await client.get("/api/v1/users/me/streaks")).status_code == 401
    assert (await client.post("/api/v1/users/me/streaks/cyber/check-in")).status_code == 401
