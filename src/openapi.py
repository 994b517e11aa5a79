"""What the OpenAPI document says about errors: every error is an RFC 9457 problem.

Litestar documents an automatic 400 with its own `{status_code, detail, extra}` JSON shape,
which xpcore never sends (src/problems.py answers `application/problem+json`). Once the app
starts, every operation's error answers are documented as they are: the `Problem` schema
under `application/problem+json`, for `4XX` (any client error: auth, validation, limits) and
`5XX` (503 when a dependency is down or not configured, 502 when an upstream failed).
`/metrics` is documented as the Prometheus text it is, and a 204 without a body.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import Components, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Reference, Schema

from src.problems import PROBLEM

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="An RFC 9457 problem document",
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER, minimum=400, maximum=599),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT), description="fields at fault"),
        "hint": Schema(type=OpenAPIType.STRING),
    },
)

_ERRORS = {
    "4XX": "A client error, as a problem document (validation errors list the fields)",
    "5XX": "503 a dependency is down or not configured (Retry-After when it helps); 502 an upstream failed",
}


def document_problems(app: Litestar) -> None:
    schema = app.openapi_schema
    if schema.components is None:
        schema.components = Components()
    schema.components.schemas = {**(schema.components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    content = {PROBLEM: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))}
    for item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch", "head", "options"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses or {}
            for status in [code for code in responses if code[:1] in ("4", "5")]:
                del responses[status]  # Litestar's automatic 400 is a shape we never send
            if "204" in responses:  # no content is no content type either
                responses["204"].content = None
            for status, description in _ERRORS.items():
                responses[status] = OpenAPIResponse(description=description, content=content)
            operation.responses = responses
    metrics = (schema.paths or {}).get("/metrics")
    if metrics is not None and metrics.get is not None and metrics.get.responses:
        metrics.get.responses["200"] = OpenAPIResponse(
            description="Prometheus text exposition",
            content={"text/plain": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
        )
