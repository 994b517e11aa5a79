"""The operations of the served OpenAPI document (the `document` fixture is in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation
