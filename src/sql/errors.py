"""One map from Postgres SQLSTATEs to HTTP problems.

db functions signal business errors with `raise exception '...' using errcode = 'XP404'`:
the class `XP` is ours, the three digits are the HTTP status. Standard SQLSTATEs that can
only come from bad input are mapped too. Everything else is a 500 (logged, never echoed).
"""

from __future__ import annotations

import asyncpg

# Standard SQLSTATEs that mean "the client sent something we refuse", not "we broke".
STANDARD: dict[str, tuple[int, str]] = {
    "23505": (409, "Conflict"),  # unique_violation
    "23503": (409, "Conflict"),  # foreign_key_violation
    "23514": (422, "Unprocessable Content"),  # check_violation
    "23502": (422, "Unprocessable Content"),  # not_null_violation
    "22P02": (400, "Bad Request"),  # invalid_text_representation
    "22003": (422, "Unprocessable Content"),  # numeric_value_out_of_range
    "22023": (422, "Unprocessable Content"),  # invalid_parameter_value
    "22007": (400, "Bad Request"),  # invalid_datetime_format
    "22008": (422, "Unprocessable Content"),  # datetime_field_overflow
}

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


def status_for(error: asyncpg.PostgresError) -> tuple[int, str] | None:
    """(status, title) for a client-caused error, or None for a server fault."""
    code = getattr(error, "sqlstate", None) or ""
    if code.startswith("XP") and code[2:].isdigit():
        status = int(code[2:])
        return status, TITLES.get(status, "Error")
    return STANDARD.get(code)
