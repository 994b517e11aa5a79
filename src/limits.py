"""Input limits and the one place that refuses input PostgreSQL cannot store (README "Limits").

PostgreSQL refuses NUL (U+0000) in `text` and `jsonb` and anything that is not UTF-8, and
Python's JSON encoder (the asyncpg jsonb codec) gives up on very deep documents. Such input
used to reach SQL and come back as a 500. `InputGuardMiddleware` refuses it before routing
work starts, for the path, the query string and the body alike, with a 400 problem:

- the path and the query string, percent-decoded, must be UTF-8 without NUL;
- the body must be UTF-8 without NUL (raw or as the JSON escape `\\u0000`, in keys and values),
  at most `MAX_BODY_BYTES` long (413 beyond), and nested at most `MAX_JSON_DEPTH` deep.

Checks are cheap on the hot path: the body scans are C-speed `bytes` operations, and the depth
walk only runs when a body holds more brackets than the depth limit.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from src.problems import send_problem, with_code

MAX_BODY_BYTES = 1_048_576  # the app's request_max_body_size
MAX_JSON_DEPTH = 32  # nested objects/arrays in one body, the outermost counting 1
METADATA_MAX_BYTES = 16_384  # a free-form JSON object (XP metadata, notification data), encoded
INT64_MAX = 2**63 - 1
# Client decimals (units, xp_per_unit): below 10^15 in magnitude and at most 20 decimal places,
# far beyond any real activity; unbounded exponents overflow Python's and PostgreSQL's numerics.
DECIMAL_MAX_EXPONENT = 15
DECIMAL_MAX_PLACES = 20

# Ids and cursors that name bigint rows: anything outside is not an id, say so before SQL does.
BigintId = Annotated[int, Parameter(ge=1, le=INT64_MAX)]
BigintCursor = Annotated[int | None, Parameter(ge=0, le=INT64_MAX)]

# Problem codes of the refusals (docs/api.md "Problem codes").
NUL = "request.nul_character"
NOT_UTF8 = "request.invalid_utf8"
TOO_DEEP = "request.too_deeply_nested"
TOO_LARGE = "request.body_too_large"
JSON_TOO_LARGE = "request.json_too_large"
NUMBER_OUT_OF_RANGE = "request.number_out_of_range"

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# `\u0000` not itself escaped: an odd run of backslashes before `u0000` (the even run is
# literal backslashes followed by the text "u0000").
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class InputRejected(Exception):
    def __init__(self, status: int, detail: str, code: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code  # the problem's `code`


def json_depth(body: bytes) -> int:
    """Deepest nesting of objects/arrays in a JSON text (strings skipped); no parse, no recursion."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_text(raw: bytes, where: str) -> None:
    """Percent-decoded `raw` (a path or query string) must be UTF-8 without NUL."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" ")) if b"%" in raw else raw
    if b"\x00" in decoded:
        raise InputRejected(400, f"the {where} contains a NUL character", NUL)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise InputRejected(400, f"the {where} is not valid UTF-8", NOT_UTF8) from None


def check_body(body: bytes) -> None:
    if b"\x00" in body or (b"\\u0000" in body and _NUL_ESCAPE.search(body)):
        raise InputRejected(400, "the request body contains a NUL character (U+0000), which cannot be stored", NUL)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputRejected(400, "the request body is not valid UTF-8", NOT_UTF8) from None
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        raise InputRejected(400, f"the request body is nested deeper than {MAX_JSON_DEPTH} levels", TOO_DEEP)


def check_json_object(value: dict[str, Any] | None, field: str) -> None:
    """A free-form JSON object field: at most METADATA_MAX_BYTES once encoded (raises 422)."""
    if value is None:
        return
    from litestar.exceptions import ValidationException

    size = len(msgspec.json.encode(value))
    if size > METADATA_MAX_BYTES:
        raise with_code(
            ValidationException(
                f"{field} is {size} bytes encoded; at most {METADATA_MAX_BYTES} are accepted",
                extra=[{"key": field, "message": f"at most {METADATA_MAX_BYTES} bytes encoded"}],
                status_code=422,
            ),
            JSON_TOO_LARGE,
        )


def check_decimal(value: Decimal | None, field: str) -> None:
    """A client decimal must be finite, below 10^15 in magnitude, with at most 20 places (422).
    Exponents only: arithmetic on 1e1000000000 overflows the decimal context itself."""
    if value is None:
        return
    from litestar.exceptions import ValidationException

    exponent = value.as_tuple().exponent
    if (
        not value.is_finite()
        or not isinstance(exponent, int)
        or (value and value.adjusted() >= DECIMAL_MAX_EXPONENT)
        or exponent < -DECIMAL_MAX_PLACES
    ):
        raise with_code(
            ValidationException(
                f"{field} must be a finite number below 1e{DECIMAL_MAX_EXPONENT} in magnitude"
                f" with at most {DECIMAL_MAX_PLACES} decimal places",
                extra=[{"key": field, "message": "out of range"}],
                status_code=422,
            ),
            NUMBER_OUT_OF_RANGE,
        )


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            check_text(raw_path, "path")
            if "\x00" in scope["path"]:
                raise InputRejected(400, "the path contains a NUL character", NUL)
            check_text(scope.get("query_string", b""), "query string")
            if scope.get("method") not in _BODY_METHODS:
                await self.app(scope, receive, send)
                return
            body, tail = await read_body(scope, receive)
            check_body(body)
        except InputRejected as rejected:
            await send_problem(send, rejected.status, rejected.detail, code=rejected.code)
            return

        replayed = False

        async def replay() -> ReceiveMessage:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            if tail is not None:
                return tail
            return await receive()

        await self.app(scope, replay, send)


async def read_body(scope: Scope, receive: Receive) -> tuple[bytes, ReceiveMessage | None]:
    """The whole body within MAX_BODY_BYTES (InputRejected 413 beyond), and the message that
    ended it early when the client went away (else None). The input guard and the fast lane
    (src/fast_lane.py) both read bodies with it."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise InputRejected(413, f"the request body is larger than {MAX_BODY_BYTES} bytes", TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see it
            return b"".join(chunks), message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InputRejected(413, f"the request body is larger than {MAX_BODY_BYTES} bytes", TOO_LARGE)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None
