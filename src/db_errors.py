"""One map from Postgres SQLSTATEs to HTTP problems.

db functions signal business errors with
`raise exception '...' using errcode = 'XP404', detail = 'xp.unknown_activity'`: the class `XP`
is ours, the three digits are the HTTP status, the message is the problem's `detail` and the
DETAIL is its stable `code` (`<area>.<snake_case>`, listed in docs/api.md "Problem codes").
Standard SQLSTATEs that can only come from bad input are mapped too, each with its code.
Everything else is a 500 (logged, never echoed).
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

# Standard SQLSTATEs that mean "the client sent something we refuse", not "we broke":
# (status, title, problem code).
STANDARD: dict[str, tuple[int, str, str]] = {
    "23505": (409, "Conflict", "request.taken"),  # unique_violation
    "23503": (409, "Conflict", "request.unknown_reference"),  # foreign_key_violation
    "23514": (422, "Unprocessable Content", "request.value_not_accepted"),  # check_violation
    "23502": (422, "Unprocessable Content", "request.value_missing"),  # not_null_violation
    "22P02": (400, "Bad Request", "request.invalid_value"),  # invalid_text_representation
    "22003": (422, "Unprocessable Content", "request.number_out_of_range"),  # numeric_value_out_of_range
    "22023": (422, "Unprocessable Content", "request.invalid_parameter"),  # invalid_parameter_value
    "22007": (400, "Bad Request", "request.invalid_datetime"),  # invalid_datetime_format
    "22008": (422, "Unprocessable Content", "request.datetime_out_of_range"),  # datetime_field_overflow
}

# What an XP-class error's DETAIL must look like to be its code (anything else is ignored, and
# the problem gets its status's default code).
CODE = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    422: "Unprocessable Content",
    423: "Locked",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


# Unique indexes named for what a client sent; any other one is named from the error's detail
# ("Key (lower(username))=(...) already exists.").
UNIQUE_FIELDS = {
    "users_username_key": "username",
    "users_email_key": "email",
    "users_discord_id_key": "discord_id",
}
_KEY_COLUMNS = re.compile(r"Key \((?:lower\()?([a-z_][a-z0-9_, ]*?)(?:\)|::text\))*\)=")
# Constraint and relation names are ours, not the client's: these never echo the server's text.
GENERIC_DETAIL = {
    "23503": "the request refers to something that does not exist",
    "23514": "a value is outside what is accepted",
    "23502": "a required value is missing",
}


class Refused(Exception):
    """A db function's refusal that came back as data, not as a raised error: one item of a
    batched call (`xp.award_events` answers each item's SQLSTATE, message and DETAIL). It is
    answered exactly like the same error raised by asyncpg."""

    def __init__(self, sqlstate: str, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail


DatabaseError = asyncpg.PostgresError | Refused


def conflict_field(error: DatabaseError) -> str | None:
    constraint = getattr(error, "constraint_name", None)
    if constraint in UNIQUE_FIELDS:
        return UNIQUE_FIELDS[constraint]
    match = _KEY_COLUMNS.search(getattr(error, "detail", None) or "")
    return match.group(1).replace(" ", "") if match else None


def code_for(error: DatabaseError) -> str | None:
    """The problem `code` of a client-caused error: an XP-class error's DETAIL, a standard
    SQLSTATE's in STANDARD; None when it names none (the status's default applies)."""
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate.startswith("XP"):
        detail = getattr(error, "detail", None) or ""
        return detail if CODE.match(detail) else None
    standard = STANDARD.get(sqlstate)
    return standard[2] if standard else None


def problem_for(error: DatabaseError) -> tuple[int, str, str, dict[str, Any]] | None:
    """(status, title, detail, extra members) of a client-caused error, or None for a fault.
    The extra members hold `code` when the error names one."""
    mapped = status_for(error)
    if mapped is None:
        return None
    status, title = mapped
    sqlstate = getattr(error, "sqlstate", None) or ""
    extra: dict[str, Any] = {}
    problem_code = code_for(error)
    if problem_code:
        extra["code"] = problem_code
    if sqlstate == "23505":
        field = conflict_field(error)
        if field:
            extra["errors"] = [{"key": field, "message": f"{field} is taken"}]
        return status, title, f"{field} is taken" if field else "this already exists", extra
    if sqlstate in GENERIC_DETAIL:
        column = getattr(error, "column_name", None)
        if column:
            extra["errors"] = [{"key": column, "message": GENERIC_DETAIL[sqlstate]}]
        return status, title, GENERIC_DETAIL[sqlstate], extra
    hint = getattr(error, "hint", None)
    if hint:
        extra["hint"] = hint
    return status, title, getattr(error, "message", None) or str(error), extra


def status_for(error: DatabaseError) -> tuple[int, str] | None:
    """(status, title) for a client-caused error, or None for a server fault."""
    code = getattr(error, "sqlstate", None) or ""
    if code.startswith("XP") and code[2:].isdigit():
        status = int(code[2:])
        return status, TITLES.get(status, "Error")
    standard = STANDARD.get(code)
    return standard[:2] if standard else None
