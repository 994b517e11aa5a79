"""The shapes of the API's answers, one module per area, as msgspec Structs.

Many answers are JSON documents PostgreSQL builds (`jsonb_build_object` in `db/functions`)
and the hot paths pass that text straight through (`src.db.json_response`); these Structs are
where those shapes are written down. Handlers declare them, either as their return annotation
or, for a pass-through handler, through `documented(...)` in the route decorator, so the OpenAPI
document shows each shape; `tests/sql/test_answer_shapes.py` converts the real output of every
answer-building db function into its Struct with `forbid_unknown_fields` and `strict`, so the
SQL and the schema cannot drift apart.

Conventions: a key the SQL always writes is a field without a default (required; `X | None`
when it can be null); a key the SQL sometimes leaves out has a default. Timestamps are
`datetime`, ids `UUID`, enumerations `Literal`.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec

Mode = Literal["reality", "cyber"]


class Answer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every answer Struct: a key the Struct does not know is an error when decoding."""


def documented(shape: Any, description: str, status_code: int = 200) -> dict[int, ResponseSpec]:
    """`responses=` for a route decorator: the success answer documented as `shape`.

    For handlers that send PostgreSQL's JSON text as it is (`Response[bytes]`): Litestar would
    otherwise document their body as a bare string. Same status code as the handler's, so it
    replaces the inferred success response instead of adding one.
    """
    return {status_code: ResponseSpec(data_container=shape, description=description, generate_examples=False)}
