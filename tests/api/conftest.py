"""Fixtures of the HTTP tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
async def document(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The OpenAPI document the app serves."""
    answer = await client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]
