"""Every problem answer has a stable `code` (issue 14), and docs/api.md lists exactly the codes
the source can answer with: the db functions' (`using errcode = 'XP404', detail = '...'`),
src/db_errors.py's for standard SQLSTATEs, and the API's own in src/problems.py, src/limits.py,
src/guards.py, src/auth/ and the routes' `with_code(...)` calls."""

from __future__ import annotations

import ast
import dataclasses
import re
import uuid
from pathlib import Path

from src.auth.secrets import keyed_hash
from src.db_errors import CODE, STANDARD
from src.problems import DEFAULT_CODES

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "application/problem+json"
# Where the API's own codes are written as constants; elsewhere in src/ they are the code
# argument of `with_code(exc, "...")`.
PYTHON_SOURCES = ["src/problems.py", "src/db_errors.py", "src/limits.py", "src/guards.py", "src/auth"]
NOT_CODES = {"xpcore.errors", "xpcore.auth", "xpcore.email", "http.request"}  # logger names, an ASGI message type
# `raise exception 'message', args using errcode = 'XP404', detail = 'code'`, over lines
_RAISE = re.compile(r"raise exception '(?:[^']|'')*'[^;']*?using errcode = 'XP(\d{3})'(?:, detail = '([^']*)')?")
_DOC_ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+) \|", re.M)


def sql_codes() -> dict[str, set[int]]:
    """code -> the statuses its db function raises it with; fails on an XP raise without one."""
    codes: dict[str, set[int]] = {}
    for path in sorted((ROOT / "db" / "functions").rglob("*.sql")):
        text = path.read_text()
        raises = _RAISE.findall(text)
        assert len(raises) == text.count("errcode = 'XP"), f"{path}: an XP errcode outside a parsed raise"
        for status, code in raises:
            assert code and CODE.match(code), f"{path}: an XP{status} raise without a code in its detail"
            codes.setdefault(code, set()).add(int(status))
    return codes


def python_codes() -> set[str]:
    """Every string constant shaped like a code in the files that name the API's own codes, and
    every code given to `with_code` anywhere in src/."""
    found: set[str] = set()
    everywhere = [ROOT / source for source in PYTHON_SOURCES]
    for file in sorted((ROOT / "src").rglob("*.py")):
        all_constants = any(file == place or place in file.parents for place in everywhere)
        for node in ast.walk(ast.parse(file.read_text())):
            if all_constants and isinstance(node, ast.Constant) and isinstance(node.value, str):
                if CODE.match(node.value):
                    found.add(node.value)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "with_code":
                for arg in node.args[1:]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found - NOT_CODES


def documented() -> dict[str, str]:
    """code -> its status column, from docs/api.md's Problem codes section."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("\n## Problem codes\n", 1)[1].split("\n## ", 1)[0]
    rows = _DOC_ROW.findall(section)
    codes = [code for code, _ in rows]
    assert len(codes) == len(set(codes)), "a code is listed twice"
    return {code: status.strip() for code, status in rows}


def test_the_docs_list_exactly_the_codes_of_the_source() -> None:
    listed = documented()
    assert all(CODE.match(code) for code in listed), [code for code in listed if not CODE.match(code)]
    in_source = set(sql_codes()) | python_codes()
    assert sorted(in_source - set(listed)) == [], "codes missing from docs/api.md"
    assert sorted(set(listed) - in_source) == [], "docs/api.md lists codes no source raises"
    assert len(listed) > 80  # the parsers found the lists


def test_the_docs_give_each_code_the_status_it_is_raised_with() -> None:
    listed = documented()
    for code, statuses in sql_codes().items():
        assert {str(s) for s in statuses} <= set(re.findall(r"\d{3}", listed[code])), code
    for status, _title, code in STANDARD.values():
        assert str(status) in listed[code], code
    for status, code in DEFAULT_CODES.items():
        assert listed[code] == str(status), code


def _problem(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers
    body = answer.json()
    assert body["status"] == status and body["code"] == code, body
    return body


async def test_a_code_raised_by_a_db_function(client, user) -> None:
    client.cookies.clear()
    missing = await client.post("/api/v1/store/items/no-such-item/purchase", headers=user["headers"])
    body = _problem(missing, 404, "store.unknown_item")
    assert body["detail"] == "no item no-such-item" and body["title"] == "Not Found"
    season = await client.get("/api/v1/seasons/1999-01", headers=user["headers"])
    _problem(season, 404, "seasons.unknown_season")


async def test_a_standard_sqlstate_has_its_code(client, user, db) -> None:
    client.cookies.clear()
    other = f"taken{uuid.uuid4().hex[:8]}"
    await db.execute("insert into app.users (username) values ($1)", other)
    taken = await client.patch("/api/v1/users/me", json={"username": other}, headers=user["headers"])
    body = _problem(taken, 409, "request.taken")
    assert body["detail"] == "username is taken"


async def test_the_otp_codes(db, app, client) -> None:
    email = f"codes-{uuid.uuid4().hex[:10]}@example.com"
    await db.execute(
        "select auth.otp_store($1, $2, 600)", email, keyed_hash(app.state.settings, "otp", f"{email}:123456")
    )
    wrong = [await client.post("/api/v1/auth/login", json={"email": email, "code": f"00000{i}"}) for i in range(5)]
    _problem(wrong[0], 400, "auth.otp_invalid")
    body = _problem(wrong[4], 429, "auth.otp_locked")
    assert body["detail"] == "too many wrong codes; this address is locked for a while"
    assert int(wrong[4].headers["Retry-After"]) > 0
    statuses = [await client.post("/api/v1/auth/otp", json={"email": email}) for _ in range(6)]
    _problem(statuses[5], 429, "auth.otp_rate_limited")


async def test_a_validation_failure(client) -> None:
    client.cookies.clear()
    answer = await client.post("/api/v1/auth/otp", json={"email": "not an address"})
    body = _problem(answer, 400, "request.validation_failed")
    assert body["errors"], body
    malformed = await client.post("/api/v1/auth/otp", content=b"{nope", headers={"content-type": "application/json"})
    assert _problem(malformed, 400, "request.malformed_body")["detail"].startswith("JSON is malformed")


async def test_the_401s(client) -> None:
    client.cookies.clear()
    _problem(await client.get("/api/v1/users/me"), 401, "auth.unauthenticated")
    bad_token = await client.get("/api/v1/users/me", headers={"Authorization": "Bearer nope"})
    assert _problem(bad_token, 401, "auth.invalid_token")["detail"] == "invalid access token: malformed token"
    bad_key = await client.get("/api/v1/users/lookup?id=1", headers={"X-API-Key": "xpk_nope_nope"})
    _problem(bad_key, 401, "auth.invalid_api_key")
    _problem(await client.post("/api/v1/auth/refresh", json={}), 401, "auth.refresh_token_required")
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})
    _problem(refresh, 401, "auth.refresh_token_invalid")


async def test_the_403s(client, user, api_key_factory) -> None:
    client.cookies.clear()
    _problem(await client.get("/api/v1/admin/api-keys", headers=user["headers"]), 403, "auth.admin_required")
    reader = await api_key_factory("users:read")
    wrong_scope = await client.get("/api/v1/challenges/anything/judge", headers=reader)
    _problem(wrong_scope, 403, "auth.scope_required")
    client.cookies.update({"access_token": user["access_token"]})
    try:
        no_csrf = await client.patch("/api/v1/users/me", json={"bio": "hi"})
    finally:
        client.cookies.clear()
    _problem(no_csrf, 403, "auth.csrf_refused")


async def test_an_unknown_route_and_a_wrong_method(client) -> None:
    client.cookies.clear()
    body = _problem(await client.get("/api/v1/no-such-thing"), 404, "request.unknown_route")
    assert body["detail"] == "no resource at /api/v1/no-such-thing"
    _problem(await client.delete("/api/v1/activities"), 405, "request.method_not_allowed")


async def test_the_input_guard_names_its_refusals(client) -> None:
    client.cookies.clear()
    _problem(await client.get("/api/v1/activities?q=%00"), 400, "request.nul_character")
    _problem(await client.get("/api/v1/activities?q=%ff"), 400, "request.invalid_utf8")
    deep = "[" * 40 + "]" * 40
    headers = {"content-type": "application/json"}
    _problem(await client.post("/api/v1/auth/otp", content=deep, headers=headers), 400, "request.too_deeply_nested")
    huge = b'{"email": "' + b"a" * 1_100_000 + b'"}'
    _problem(await client.post("/api/v1/auth/otp", content=huge, headers=headers), 413, "request.body_too_large")


async def test_a_dependency_not_configured(client, user) -> None:
    client.cookies.clear()
    answer = await client.post("/api/v1/payments/orders", json={"pack_id": "pack-100"}, headers=user["headers"])
    _problem(answer, 503, "store.payments_not_configured")


async def test_the_api_key_rate_limit(client, app, api_key_factory) -> None:
    client.cookies.clear()
    key = await api_key_factory("users:read")
    real = app.state.settings
    app.state.settings = dataclasses.replace(real, api_key_max_per_minute=1)
    try:
        answers = [await client.get("/api/v1/activities", headers=key) for _ in range(2)]
    finally:
        app.state.settings = real
    assert answers[0].status_code == 200, answers[0].text
    _problem(answers[1], 429, "auth.api_key_rate_limited")


async def test_a_batched_award_reports_its_code(db, user) -> None:
    """xp.award_events hands each failed item's DETAIL back, for the batcher to rebuild the error."""
    rows = await db.fetch(
        "select item, error_code, body, error_detail"
        " from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8)",
        [user["id"], uuid.uuid4()],
        [None, None],
        ["teleport", "run_km"],
        [1, 1],
        [f"c-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"],
        [None, None],
        ["{}", "{}"],
        [None, None],
    )
    by_item = {row["item"]: (row["error_code"], row["error_detail"]) for row in rows}
    assert by_item == {1: ("XP404", "xp.unknown_activity"), 2: ("XP404", "users.unknown_user")}


async def test_awards_through_the_batcher_carry_their_code(client, user, api_key_factory) -> None:
    client.cookies.clear()
    bot = await api_key_factory("xp:write")
    body = {"user": {"id": str(user["id"])}, "activity": "teleport", "units": 1, "idempotency_key": "c1"}
    _problem(await client.post("/api/v1/xp/events", json=body, headers=bot), 404, "xp.unknown_activity")


def test_every_status_has_a_default_code() -> None:
    from src.problems import default_code

    assert default_code(418) == "request.rejected" and default_code(507) == "server.error"
    assert all(CODE.match(code) for code in DEFAULT_CODES.values())
