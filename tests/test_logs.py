"""Logs are one JSON object per line and carry the request id of the request that wrote them."""

from __future__ import annotations

import json
import logging

from src.logs import JSONFormatter, request_id


def test_a_record_logged_during_a_request_carries_its_id() -> None:
    token = request_id.set("req-42")
    try:
        record = logging.LogRecord("xpcore.test", logging.INFO, __file__, 1, "awarded %s", (5,), None)
        record.user_id = "u1"
        line = JSONFormatter().format(record)
    finally:
        request_id.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-42"
    assert entry["msg"] == "awarded 5" and entry["user_id"] == "u1" and entry["level"] == "info"
    assert "\n" not in line


def test_outside_a_request_there_is_no_request_id() -> None:
    record = logging.LogRecord("xpcore.test", logging.WARNING, __file__, 1, "tick", (), None)
    assert "request_id" not in json.loads(JSONFormatter().format(record))
