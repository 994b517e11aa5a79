"""Request id, access log and metrics see every answer: they wrap the app outside routing, so
a 404 for a path no route serves and the auth middleware's own 429 are logged and counted too
(before, they ran after routing and behind the auth middleware, and saw neither)."""

from __future__ import annotations

import dataclasses
import logging
import uuid

from prometheus_client import REGISTRY


def _count(path: str, status: int, method: str = "GET") -> float:
    labels = {"method": method, "path": path, "status_code": str(status), "app_name": "xpcore"}
    return REGISTRY.get_sample_value("xpcore_requests_total", labels) or 0.0


def _access_records(caplog, path: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "xpcore.access" and path in r.getMessage()]


async def test_a_404_for_an_unknown_path_is_logged_and_counted(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="xpcore.access")
    path = f"/no/such/{uuid.uuid4().hex}"
    before = _count("unmatched", 404)
    response = await client.get(path, headers={"X-Request-ID": "probe-404"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "probe-404"
    [record] = _access_records(caplog, path)
    assert record.status == 404  # type: ignore[attr-defined]
    assert _count("unmatched", 404) == before + 1
    # the scanned path itself never becomes a label
    assert (
        REGISTRY.get_sample_value(
            "xpcore_requests_total", {"method": "GET", "path": path, "status_code": "404", "app_name": "xpcore"}
        )
        is None
    )


async def test_an_api_key_429_is_logged_and_counted(client, app, api_key_factory, user, caplog) -> None:
    caplog.set_level(logging.INFO, logger="xpcore.access")
    client.cookies.clear()
    route = "/api/v1/users/lookup"
    before = _count(route, 429)
    real = app.state.settings
    app.state.settings = dataclasses.replace(real, api_key_max_per_minute=1)
    try:
        reader = await api_key_factory("users:read")
        lookup = f"{route}?id={user['id']}"
        first = await client.get(lookup, headers=reader)
        limited = await client.get(lookup, headers={**reader, "X-Request-ID": "probe-429"})
    finally:
        app.state.settings = real
    assert first.status_code == 200 and limited.status_code == 429
    assert limited.headers["x-request-id"] == "probe-429"
    assert [r.status for r in _access_records(caplog, route)][-1] == 429  # type: ignore[attr-defined]
    assert _count(route, 429) == before + 1
