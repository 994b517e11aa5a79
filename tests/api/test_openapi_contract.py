"""The OpenAPI document is a contract clients are generated from: valid, with the security
each operation accepts, and every error described as the problem document the API sends."""

from __future__ import annotations

from tests.api.openapi_document import operations


async def test_the_document_is_valid_openapi_3_1(document) -> None:
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"].startswith("3.1")


async def test_security_schemes_and_each_guarded_operation_names_them(document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert (schemes["cookie"]["in"], schemes["cookie"]["name"]) == ("cookie", "access_token")
    assert (schemes["api_key"]["in"], schemes["api_key"]["name"]) == ("header", "X-API-Key")
    for scope in ("xp:write", "challenges:judge", "users:read"):
        assert scope in schemes["api_key"]["description"]
    ops = {(path, method): op for path, method, op in operations(document)}
    assert ops[("/api/v1/users/me", "get")]["security"] == [{"bearer": []}, {"cookie": []}]
    # unsafe methods with the cookie need the CSRF header too
    assert {"cookie": [], "csrf": []} in ops[("/api/v1/users/me", "patch")]["security"]
    assert ops[("/api/v1/challenges/{slug}/judge", "get")]["security"] == [{"api_key": ["challenges:judge"]}]
    assert {"api_key": ["xp:write"]} in ops[("/api/v1/xp/events", "post")]["security"]
    assert {"bearer": []} in ops[("/api/v1/admin/api-keys", "post")]["security"]
    # public operations stay public
    assert "security" not in ops[("/api/v1/activities", "get")]
    assert "security" not in ops[("/api/v1/auth/otp", "post")]


async def test_every_guarded_operation_is_documented_as_guarded(client, document) -> None:
    """Anonymous calls to an operation that declares no security must not answer 401."""
    for path, method, operation in operations(document):
        if "security" in operation or "{" in path or method != "get":
            continue
        answer = await client.get(path)
        assert answer.status_code != 401, (path, answer.text)


async def test_every_error_is_an_rfc_9457_problem(document) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    for path, method, operation in operations(document):
        errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
        assert "400" in errors and "503" in errors, (path, method)
        if "security" in operation:
            assert {"401", "403"} <= set(errors), (path, method)
        for code, response in errors.items():
            assert list(response["content"]) == ["application/problem+json"], (path, method, code)
            assert response["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


async def test_a_real_error_matches_the_documented_problem(client, document) -> None:
    from openapi_schema_validator import OAS31Validator

    client.cookies.clear()  # the session's client may hold an earlier test's sign-in
    answer = await client.get("/api/v1/users/me")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    OAS31Validator(document["components"]["schemas"]["Problem"]).validate(answer.json())


async def test_the_description_lists_every_area_that_exists(document) -> None:
    description = document["info"]["description"]
    tags = {tag["name"] for tag in document["tags"]}
    assert {"auth", "xp", "seasons", "challenges", "store", "payments", "notifications"} <= tags
    for tag in tags:
        assert f"**{tag}**" in description
    assert "api.md" not in description


async def test_operation_ids_are_the_handlers_names_and_unique(document) -> None:
    ids = [operation["operationId"] for _path, _method, operation in operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    ops = {(path, method): op for path, method, op in operations(document)}
    assert ops[("/api/v1/xp/events", "post")]["operationId"] == "award"
    assert ops[("/api/v1/seasons/{season_id}/leaderboards/{mode}/me", "get")]["operationId"] == "aroundMe"


async def test_numbers_clients_send_are_numbers(document) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["XPEventCreate"]["properties"]["units"] == {"type": "number"}
    assert schemas["ActivityCreate"]["properties"]["xp_per_unit"] == {"type": "number"}
