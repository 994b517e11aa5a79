"""Every answer in the OpenAPI document has its shape (`src/<area>/answers.py`), not a bare `string` or a
free-form object, and the real answers match what the document says."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from src.auth.answers import Jwks
from tests.api.openapi_document import operations

# Answers that have no JSON shape to give.
NOT_JSON = {("/metrics", "get"): "Prometheus text"}


def _untyped(schema: dict[str, Any], components: dict[str, Any], seen: frozenset[str] = frozenset()) -> str | None:
    """Why `schema` says nothing about the answer's shape, or None when it does."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return None if name in seen else _untyped(components[name], components, seen | {name})
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            reasons = [_untyped(part, components, seen) for part in schema[key] if part.get("type") != "null"]
            return next((reason for reason in reasons if reason), None)
    kind = schema.get("type")
    if kind == "array":
        return _untyped(schema.get("items", {}), components, seen) and "an array of untyped items"
    if kind == "object" and not schema.get("properties"):
        return "a free-form object"
    if kind == "string" and seen == frozenset():
        return "a bare string"
    if kind is None:
        return "no type"
    return None


async def test_every_answer_is_documented_with_its_shape(document) -> None:
    components = document["components"]["schemas"]
    untyped = []
    typed = 0
    for path, method, operation in operations(document):
        for code, response in operation["responses"].items():
            if not code.startswith("2"):
                continue
            content = response.get("content")
            if code == "204":
                assert not content, (path, method, "204 with a body")
                continue
            if (path, method) in NOT_JSON:
                assert content and all(media.startswith("text/plain") for media in content), (path, content)
                continue
            assert content, (path, method, code, "no body documented")
            for media, body in content.items():
                reason = _untyped(body["schema"], components)
                if reason:
                    untyped.append(f"{method.upper()} {path} {code} {media}: {reason}")
                else:
                    typed += 1
    assert not untyped, "answers without a shape:\n" + "\n".join(untyped)
    assert typed >= 47


async def test_replays_are_documented_like_awards(document) -> None:
    for path in ("/api/v1/xp/events", "/api/v1/admin/xp/adjustments"):
        responses = document["paths"][path]["post"]["responses"]
        assert responses["201"]["content"] == responses["200"]["content"]
        assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/XPAward"}


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


async def test_components_are_the_ones_in_use_under_their_own_names(document) -> None:
    components = document["components"]["schemas"]
    for name, component in components.items():
        assert name == component.get("title", name), name  # no module-prefixed twins
    reached, todo = set(), _refs(document["paths"])
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo |= _refs(components[name])
    assert set(components) == reached


def _validator(document: dict[str, Any], path: str, method: str = "get", code: str = "200") -> Any:
    from openapi_schema_validator import OAS31Validator

    schema = document["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]
    return OAS31Validator({**schema, "components": document["components"]})


async def test_real_answers_match_the_document(client, document, user, admin, api_key_factory) -> None:
    bot = await api_key_factory("xp:write")
    for activity in ("run_km", "commit"):
        answer = await client.post(
            "/api/v1/xp/events",
            headers=bot,
            json={
                "user": {"id": str(user["id"])},
                "activity": activity,
                "units": 1,
                "idempotency_key": uuid.uuid4().hex,
            },
        )
        assert answer.status_code == 201, answer.text
        _validator(document, "/api/v1/xp/events", "post", "201").validate(answer.json())
    grant = await client.post(
        "/api/v1/admin/coins/grants",
        headers=admin["headers"],
        json={"user_id": str(user["id"]), "amount": 500, "reason": "shape check"},
    )
    assert grant.status_code == 201, grant.text
    _validator(document, "/api/v1/admin/coins/grants", "post", "201").validate(grant.json())
    bought = await client.post("/api/v1/store/items/font-space-grotesk/purchase", headers=user["headers"])
    assert bought.status_code == 201, bought.text
    _validator(document, "/api/v1/store/items/{slug}/purchase", "post", "201").validate(bought.json())

    asked = {
        "/api/v1/users/me": "/api/v1/users/me",
        f"/api/v1/users/{user['username']}": "/api/v1/users/{username}",
        "/api/v1/users/me/profile": "/api/v1/users/me/profile",
        "/api/v1/users/me/xp": "/api/v1/users/me/xp",
        "/api/v1/users/me/wallet": "/api/v1/users/me/wallet",
        "/api/v1/users/me/inventory": "/api/v1/users/me/inventory",
        "/api/v1/store/items": "/api/v1/store/items",
        "/api/v1/store/coin-packs": "/api/v1/store/coin-packs",
        "/api/v1/notifications": "/api/v1/notifications",
        "/api/v1/seasons": "/api/v1/seasons",
        "/api/v1/seasons/current": "/api/v1/seasons/{season_id}",
        "/api/v1/seasons/current/leaderboards/reality": "/api/v1/seasons/{season_id}/leaderboards/{mode}",
        "/api/v1/seasons/current/leaderboards/cyber/me": "/api/v1/seasons/{season_id}/leaderboards/{mode}/me",
        "/api/v1/leaderboards/all-time": "/api/v1/leaderboards/all-time",
        "/api/v1/levels": "/api/v1/levels",
        "/api/v1/layers": "/api/v1/layers",
        "/api/v1/activities": "/api/v1/activities",
        "/.well-known/jwks.json": "/.well-known/jwks.json",
    }
    for url, path in asked.items():
        answer = await client.get(url, headers=user["headers"])
        assert answer.status_code == 200, (url, answer.text)
        _validator(document, path).validate(answer.json())
    # Built in Python, not SQL: checked strictly here.
    jwks = msgspec.convert((await client.get("/.well-known/jwks.json")).json(), Jwks, strict=True)
    assert jwks.keys
