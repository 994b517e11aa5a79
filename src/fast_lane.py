"""The fast lane: the hottest routes answered straight from ASGI, with the same rules.

An award, the caller's profile and the caller's own rank / around-me are most of the traffic,
and for them Litestar's per-request machinery (routing, dependency injection, signature
parsing, guards as coroutines, the Response object, two exception layers) cost more CPU than
the request's own work (bench/README.md, "Where the time goes"). This layer sits inside the
request id, access log and metrics wrappers (src/app.py), and answers such a request itself
only when it is the plain, valid case:

- exactly the route's method and path, no root path, no Origin header (CORS stays Litestar's),
  no replicas configured (read-your-writes routing stays Litestar's);
- the caller authenticated by the auth middleware's own function (src/auth/middleware.py) and
  allowed by the route's guard predicate (src/guards.py);
- for the award: a JSON body within the input limits (src/limits.py) that decodes strictly into
  the route's struct and passes its checks (src/xp/routes.py `award_of`); for around-me: the
  route's season and `around` constraints, a known mode.

Anything else goes to Litestar unchanged (the body replayed, the caller it found handed on so
an API key's request is not counted twice), which answers it as it always did, errors and all.
What the lane answers makes the same call through the same function and sends PostgreSQL's JSON
as it came; a failure of that call is answered by the app's own exception handlers. Set
`FAST_LANE=false` to send everything through Litestar (tests/api/test_fast_lane.py compares the
two answer for answer).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from src.auth.middleware import authenticate, send_rate_limited
from src.auth.ratelimit import RateLimited
from src.guards import is_user, is_user_or_has_scope
from src.limits import InputRejected, check_body, read_body
from src.problems import EXCEPTION_HANDLERS, send_problem
from src.seasons.routes import AROUND_DEFAULT, AROUND_MAX, SEASON_PATTERN
from src.xp.routes import XPEventCreate, award_of

AWARD = "/api/v1/xp/events"
PROFILE = "/api/v1/users/me/profile"
# /api/v1/seasons/{season_id}/leaderboards/{mode}/me with the route's own season pattern
AROUND = re.compile("^/api/v1/seasons/" + SEASON_PATTERN.strip("^$") + "/leaderboards/(reality|cyber)/me$")
AROUND_QUERY = re.compile(rb"^(?:around=([0-9]{1,2}))?$")
JSON_TYPES = (b"application/json", b"application/json; charset=utf-8")
# As Litestar reads a body: JSON to Python values first (a number too large for a float is
# refused there, 400), then converted to the route's struct; strict, so whatever the lane
# accepts Litestar's lax conversion accepts the same way, and the rest goes to Litestar.
_json_decoder = msgspec.json.Decoder()


class _NotHere(Exception):
    """This request is not the lane's plain case: Litestar answers it."""


def _json(status: int, text: str) -> tuple[Any, Any]:
    body = text.encode()
    return (
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        },
        {"type": "http.response.body", "body": body},
    )


class FastLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.answered = 0  # requests the lane answered itself (tests; the rest went to Litestar)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]  # type: ignore[typeddict-item]
        if method == "POST" and path == AWARD:
            await self._award(scope, receive, send)
        elif method == "GET" and (path == PROFILE or path.startswith("/api/v1/seasons/")):
            await self._read(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _usable(self, scope: Scope) -> bool:
        state = scope["litestar_app"].state
        if state.replicas is not None or not state.settings.fast_lane:
            return False
        return not any(name == b"origin" for name, _ in scope["headers"])

    async def _caller(self, scope: Scope, send: Send) -> tuple[bool, Any]:
        """(answered, the principal or None). The caller is handed on in the scope, so Litestar,
        if it answers next, does not authenticate (and count an API key) again. Answered: the
        API key is over its limit (429, as the auth middleware answers it)."""
        try:
            principal, error = await authenticate(scope)
        except RateLimited as limited:
            await send_rate_limited(send, limited)
            return True, None
        scope["user"] = principal
        scope["auth_error"] = error  # type: ignore[typeddict-unknown-key]
        return False, principal

    async def _award(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._usable(scope):
            await self.app(scope, receive, send)
            return
        content_type = next((v.lower() for k, v in scope["headers"] if k == b"content-type"), None)
        if content_type not in JSON_TYPES:
            await self.app(scope, receive, send)
            return
        try:
            body, tail = await read_body(scope, receive)
        except InputRejected as rejected:  # too large: the input guard's own answer
            await send_problem(send, rejected.status, rejected.detail, code=rejected.code)
            return
        pending: list[Any] = [{"type": "http.request", "body": body, "more_body": False}]
        if tail is not None:
            pending.append(tail)

        async def replay() -> Any:  # what was read (and what ended it), then whatever comes
            return pending.pop(0) if pending else await receive()

        if tail is not None:  # the client went away mid-body: let the app see it
            await self.app(scope, replay, send)
            return
        answered, principal = await self._caller(scope, send)
        if answered:
            return
        try:
            if principal is None or not is_user_or_has_scope(principal, "xp:write"):
                raise _NotHere
            check_body(body)
            data = msgspec.convert(_json_decoder.decode(body), XPEventCreate, strict=True)
        except (_NotHere, InputRejected, msgspec.ValidationError, msgspec.DecodeError):
            await self.app(scope, replay, send)
            return
        try:
            award = award_of(data, principal)
            replayed, answer = await scope["litestar_app"].state.awards.award(award)
        except Exception as exc:
            self.answered += 1
            await self._problem(scope, replay, send, exc)
            return
        self.answered += 1
        for message in _json(200 if replayed else 201, answer):
            await send(message)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, query = scope["path"], scope.get("query_string", b"")
        if path == PROFILE:
            if query or not self._usable(scope):
                await self.app(scope, receive, send)
                return
            season = mode = None
            around = 0
        else:
            match, asked = AROUND.match(path), AROUND_QUERY.match(query)
            if match is None or asked is None or not self._usable(scope):
                await self.app(scope, receive, send)
                return
            season, mode = match.group(1), match.group(2)
            around = int(asked.group(1)) if asked.group(1) is not None else AROUND_DEFAULT
            if around > AROUND_MAX:
                await self.app(scope, receive, send)
                return
        answered, principal = await self._caller(scope, send)
        if answered:
            return
        if principal is None or not is_user(principal):  # Litestar's guard answers 401/403
            await self.app(scope, receive, send)
            return
        state = scope["litestar_app"].state
        try:  # many callers' reads go in one call (src/read_batcher.py), each answered as alone
            if season is None:
                text = await state.profile_reads.read(principal.user_id)
            else:
                text = await state.around_reads.read(season, mode, principal.user_id, around)
        except Exception as exc:
            self.answered += 1
            await self._problem(scope, receive, send, exc)
            return
        if text is None:  # as json_response (src/db.py): a 404
            await self.app(scope, receive, send)
            return
        self.answered += 1
        for message in _json(200, text):
            await send(message)

    @staticmethod
    async def _problem(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        """The answer the app's exception handlers give `exc` (src/problems.py)."""
        request: Request[Any, Any, Any] = Request(scope, receive, send)
        handler = next(EXCEPTION_HANDLERS[cls] for cls in type(exc).__mro__ if cls in EXCEPTION_HANDLERS)
        response = handler(request, exc)  # type: ignore[operator]
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)
