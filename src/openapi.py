"""What the OpenAPI document says beyond what Litestar infers from the handlers.

- **Security**, read off each handler's guards (`src/guards.py` tags every guard with what
  it accepts), so the docs get an Authorize button and generated clients know about the
  Bearer token, the cookie with its CSRF header, and `X-API-Key` with its scopes.
- **Errors** as RFC 9457 problems (`application/problem+json`, `Problem`), the way
  `src/problems.py` sends them, on every operation.
- **The description**, built from the areas (controller modules) that exist, so it cannot go
  stale.
- **Only the schemas in use**: the components no operation reaches are dropped (see
  `drop_unused_schemas`).

`finish(app)` runs once at startup; Litestar then serves the finished document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from src.db_errors import CODE

PROBLEM_MEDIA = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

SCOPES = {
    "xp:write": "award XP to any user (`POST /api/v1/xp/events`): a Discord bot",
    "challenges:judge": "read hidden tests and report completions: the code judge",
    "users:read": "look users up by id or Discord id",
    "notifications:write": "send notifications on behalf of a service",
}

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An RS256 access token from `POST /api/v1/auth/login`, `/refresh` or an OAuth "
        "callback (15 minutes). Other services verify it with `/.well-known/jwks.json`.",
    },
    "cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "access_token",
        "description": "The HttpOnly cookie every TokenPair answer sets, for browsers. Unsafe methods "
        "(POST, PUT, PATCH, DELETE) must also send the `X-CSRF-Token` header.",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The value of the readable `csrf_token` cookie; required with the cookie on unsafe methods.",
    },
    "api_key": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A scoped key `xpk_<prefix>_<secret>` for trusted services (`xpcore api-keys create`). "
        "Scopes: " + "; ".join(f"`{scope}` {what}" for scope, what in SCOPES.items()) + ".",
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem document; every error the API answers with is one.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "`about:blank`: the status says what kind of problem"},
        "title": {"type": "string", "description": "the status phrase, or a short summary"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what went wrong, for a person"},
        "instance": {"type": "string", "description": "the request path"},
        "code": {
            "type": "string",
            "pattern": CODE.pattern,
            "description": "what went wrong, for a program: a stable `<area>.<snake_case>` code such as "
            "`xp.unknown_activity` or `auth.otp_locked`. Branch on it, not on `detail` (whose text may "
            "change) or `status` (shared by many problems). docs/api.md, section Problem codes, lists "
            "every code with its status and meaning; a new code may be added, a listed one keeps its "
            "meaning.",
        },
        "hint": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "for validation problems: one entry per invalid field",
            "items": {"type": "object", "additionalProperties": True},
        },
    },
    "additionalProperties": True,
}

ERROR_DESCRIPTIONS = {
    "400": "Bad request: malformed input (a problem document)",
    "401": "No valid credentials",
    "403": "Credentials that do not allow this",
    "404": "Not found",
    "409": "Conflict with the current state",
    "422": "Invalid field values (the problem lists them)",
    "429": "Rate-limited: retry after `Retry-After` seconds",
    "503": "A backing service is unavailable: retry shortly",
}

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def operation_id(route_handler: Any, http_method: Any, path_components: Any) -> str:
    """The handler's own name in camelCase (`aroundMe`, `award`): what generated clients call
    their functions. Handler names are unique across the app (tests/api/test_openapi_contract.py)."""
    first, *rest = route_handler.fn.__name__.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _requirements(kind: Any, method: str) -> list[dict[str, list[str]]]:
    """OpenAPI security requirements for a guard tagged `kind` (see src/guards.py)."""
    user: list[dict[str, list[str]]] = [{"bearer": []}]
    user.append({"cookie": [], "csrf": []} if method in _UNSAFE else {"cookie": []})
    if kind in ("user", "admin"):
        return user
    if isinstance(kind, tuple) and kind[0] == "scope":
        return [{"api_key": list(kind[1])}]
    if isinstance(kind, tuple) and kind[0] == "user_or_scope":
        return [{"api_key": [kind[1]]}, *user]
    return []


def _guard_kinds(handler: Any) -> list[Any]:
    return [kind for guard in handler.resolve_guards() if (kind := getattr(guard, "openapi_kind", None))]


def annotate_security(app: Litestar) -> None:
    """Give every guarded handler the security requirements its guards accept."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            kinds = _guard_kinds(handler)
            if not kinds or handler.security:
                continue
            methods = sorted(handler.http_methods)
            handler.security = _requirements(kinds[-1], methods[0])
            handler._resolved_security = handler.security  # resolved lazily, maybe already


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA: {"schema": PROBLEM_REF}}}


def _operations(schema: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}:
                yield path, method, operation


def document_problems(schema: dict[str, Any]) -> None:
    """Every error response documented as a problem; the codes each operation can answer."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for _path, method, operation in _operations(schema):
        responses = operation.setdefault("responses", {})
        codes = {"400"}
        if operation.get("security"):
            codes |= {"401", "403"}
            if any("api_key" in requirement for requirement in operation["security"]):
                codes.add("429")
        if operation.get("requestBody") or operation.get("parameters"):
            codes.add("422")
        if method in ("post", "put", "patch", "delete"):
            codes.add("409")
        if "{" in _path:
            codes.add("404")
        for code, response in list(responses.items()):
            if code.startswith(("4", "5")):
                responses[code] = _problem_response(response.get("description") or ERROR_DESCRIPTIONS.get(code, ""))
        for code in sorted(codes):
            responses.setdefault(code, _problem_response(ERROR_DESCRIPTIONS[code]))
        responses.setdefault("503", _problem_response(ERROR_DESCRIPTIONS["503"]))
        # and any other status of its class (413 too large, 402 not enough coins, 502 upstream)
        responses.setdefault("4XX", _problem_response("A client error, as a problem document"))
        responses.setdefault("5XX", _problem_response("A server-side problem (502 upstream failed, 503 unavailable)"))


# Answers that are not JSON, by path (GET), documented as the text they are; Litestar's
# PrometheusController declares a bare `Response`, which it documents as a free-form object.
TEXT_ANSWERS = {
    "/metrics": ("text/plain; version=0.0.4", "Prometheus text exposition format: request counts, errors, latency"),
}


def document_text_answers(schema: dict[str, Any]) -> None:
    for path, (media, description) in TEXT_ANSWERS.items():
        operation = schema.get("paths", {}).get(path, {}).get("get")
        if operation is not None:
            operation["responses"]["200"] = {
                "description": description,
                "content": {media: {"schema": {"type": "string"}}},
            }


def no_body_on_204(schema: dict[str, Any]) -> None:
    """A 204 answer has no body; Litestar documents `Response[None]` as a JSON `null`."""
    for _path, _method, operation in _operations(schema):
        response = operation.get("responses", {}).get("204")
        if response is not None:
            response.pop("content", None)


REF_PREFIX = "#/components/schemas/"


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _rename_refs(node: Any, names: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX) and ref[len(REF_PREFIX) :] in names:
            node["$ref"] = REF_PREFIX + names[ref[len(REF_PREFIX) :]]
        for value in node.values():
            _rename_refs(value, names)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, names)


def drop_unused_schemas(schema: dict[str, Any]) -> None:
    """Keep only the component schemas an operation reaches, each under its own name.

    A handler whose pass-through answer is documented with `responses=` (`src.answers.documented`)
    still has its return annotation turned into a component by Litestar, which nothing refers
    to. Two Structs of one name (the documented one and such an orphan) got module-prefixed
    names (`answers_xp_XPAward`); once the orphan is gone, the survivor gets its title back.
    """
    components = schema.get("components", {}).get("schemas", {})
    reached: set[str] = set()
    todo = list(_refs(schema.get("paths", {})))
    while todo:
        name = todo.pop()
        if name in reached or name not in components:
            continue
        reached.add(name)
        todo.extend(_refs(components[name]))
    kept = {name: components[name] for name in components if name in reached}
    titles: dict[str, list[str]] = {}
    for name, component in kept.items():
        titles.setdefault(component.get("title") or name, []).append(name)
    names = {
        group[0]: title
        for title, group in titles.items()
        if len(group) == 1 and group[0] != title and title not in kept
    }
    renamed = {names.get(name, name): component for name, component in kept.items()}
    schema["components"]["schemas"] = dict(sorted(renamed.items()))
    _rename_refs(schema, names)


AREAS = {
    "platform": "Health, readiness, metrics, the JWKS other services verify our tokens with.",
    "auth": "E-mail OTP login, OAuth (Google, GitHub, Discord), refresh-token rotation, logout.",
    "users": "The caller's own account and public profiles.",
    "xp": "Activities, XP awards (exactly once per idempotency key), levels, layers, the profile.",
    "seasons": "Monthly seasons, reality and cyber leaderboards, your rank and neighbours, all-time.",
    "leagues": "Seasonal divisions per mode: tiers, your cohort, rank and promotion and demotion zones.",
    "challenges": "Coding challenges opened in order; a judge with an API key reports completions.",
    "store": "The coin wallet, store items, purchases and the inventory.",
    "payments": "Coin packs paid with Razorpay: orders, verified checkout and the signed webhook.",
    "notifications": "The in-app feed, push devices and admin broadcasts.",
    "live": "Server-Sent Events: your new notifications and rank changes, a board's top on each snapshot.",
    "achievements": "Achievements with tiers: your progress, a user's public unlocks; operators edit the rules.",
    "streaks": "Daily streaks per mode in your time zone: current and longest run, freezes, the check-in.",
    "quests": "Daily and weekly quests drawn per user from a pool: your progress and when each expires.",
    "admin": (
        "Operators' endpoints (role admin): activities, adjustments, API keys, challenges, achievements, quests, coins."
    ),
}


def describe_areas(schema: dict[str, Any], intro: str) -> None:
    """The description and the tag list, from the tags the mounted operations carry."""
    used = sorted({tag for _path, _method, operation in _operations(schema) for tag in operation.get("tags", [])})
    missing = [tag for tag in used if tag not in AREAS]
    if missing:  # a new area must say what it is
        raise RuntimeError(f"src/openapi.py AREAS has no description for tag(s) {', '.join(missing)}")
    schema["tags"] = [{"name": tag, "description": AREAS[tag]} for tag in used]
    lines = [intro.strip(), "", "Areas:", ""]
    lines += [f"- **{tag}**: {AREAS[tag]}" for tag in used]
    lines += [
        "",
        "Authorize with a Bearer access token (`POST /api/v1/auth/login`), the browser cookie with its "
        "`X-CSRF-Token` header, or a scoped `X-API-Key`. Errors are RFC 9457 problem documents "
        "(`application/problem+json`) with a stable `code` to branch on (see `Problem`). Lists are "
        "keyset-paginated with `limit` and `cursor`, answered with `next_cursor`.",
    ]
    schema.setdefault("info", {})["description"] = "\n".join(lines)


def _decimal_fields(app: Litestar) -> dict[str, set[str]]:
    """Request Struct name -> its Decimal fields (numbers a client sends, kept exact)."""
    import typing
    from decimal import Decimal

    import msgspec

    found: dict[str, set[str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            shape = getattr(data, "annotation", None)
            if not (isinstance(shape, type) and issubclass(shape, msgspec.Struct)):
                continue
            for name, hint in typing.get_type_hints(shape).items():
                if hint is Decimal or Decimal in typing.get_args(hint):
                    found.setdefault(shape.__name__, set()).add(name)
    return found


def document_decimals_as_numbers(schema: dict[str, Any], app: Litestar) -> None:
    """Litestar documents Decimal as a string; clients send these as JSON numbers (msgspec
    decodes a number into a Decimal exactly), so the document says number."""
    schemas = schema.get("components", {}).get("schemas", {})
    for struct, fields in _decimal_fields(app).items():
        properties = schemas.get(struct, {}).get("properties", {})
        for field in fields:
            if field not in properties:
                continue
            nullable = "null" in str(properties[field])
            number: dict[str, Any] = {"type": "number"}
            properties[field] = {"oneOf": [number, {"type": "null"}]} if nullable else number


def finish(app: Litestar, intro: str) -> None:
    """Annotate security, then build the document once and complete it in place."""
    from litestar._openapi.plugin import OpenAPIPlugin

    annotate_security(app)
    plugin = app.plugins.get(OpenAPIPlugin)
    schema = plugin.provide_openapi_schema()  # built once and cached by Litestar; served as is
    no_body_on_204(schema)
    document_text_answers(schema)
    drop_unused_schemas(schema)
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    document_problems(schema)
    document_decimals_as_numbers(schema, app)
    describe_areas(schema, intro)
