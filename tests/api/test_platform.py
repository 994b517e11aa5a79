"""Platform endpoints and the error contract, over HTTP against real Postgres and Redis."""

from __future__ import annotations

import msgspec
from litestar import post


async def test_health(client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_request_id_is_echoed(client) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_ready_reports_every_dependency(client, app) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"] == "ok"
    assert body["migrations"] == f"ok (at head {app.state.migration_head})"


async def test_ready_is_503_with_the_reason_when_migrations_are_behind(client, app, database_url) -> None:
    import asyncpg

    other = await asyncpg.connect(database_url)
    head = app.state.migration_head
    try:
        await other.execute("update alembic_versions set version_num = 'older'")
        response = await client.get("/ready")
    finally:
        await other.execute("update alembic_versions set version_num = $1", head)
        await other.close()
    assert response.status_code == 503
    assert response.json()["migrations"] == f"behind: at older, head is {head}"


async def test_ready_503_when_redis_is_unreachable(app, client) -> None:
    from redis.asyncio import Redis

    real = app.state.redis
    app.state.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        response = await client.get("/ready")
    finally:
        await app.state.redis.aclose()
        app.state.redis = real
    assert response.status_code == 503
    assert response.json()["redis"].startswith("unavailable")
    assert response.json()["database"] == "ok"


async def test_unknown_route_is_problem_json(client) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not Found" and body["detail"]


async def test_wrong_method_is_problem_json(client) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")


class _Echo(msgspec.Struct):
    name: str
    count: int


@post("/_test/echo", include_in_schema=False, request_max_body_size=1_000_000)
async def _echo(data: _Echo) -> _Echo:
    return data


async def test_malformed_json_is_400_problem(app, client) -> None:
    if not any(r.path == "/_test/echo" for r in app.routes):
        app.register(_echo)
    response = await client.post("/_test/echo", content=b'{"name": "x", ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 400


async def test_invalid_field_lists_the_field(app, client) -> None:
    if not any(r.path == "/_test/echo" for r in app.routes):
        app.register(_echo)
    response = await client.post("/_test/echo", json={"name": "x", "count": "many"})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"], body
    assert "count" in str(body["errors"])


async def test_metrics_are_prometheus_text(client) -> None:
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "xpcore_requests_total" in response.text


async def test_openapi_is_3_1_with_a_ui(client) -> None:
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")
    assert "/health" in document.json()["paths"]
    ui = await client.get("/schema")
    assert ui.status_code == 200
    assert "text/html" in ui.headers["content-type"]


async def test_saq_dashboard_is_behind_the_admin_guard(client) -> None:
    response = await client.get("/saq/api/queues")
    assert response.status_code in (401, 403)
    assert response.headers["content-type"].startswith("application/problem+json")
