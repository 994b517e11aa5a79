"""Schemathesis over every operation of /schema/openapi.json (issue 13: no 5xx for any input).

A real server (uvicorn, a subprocess on a free port, bound to this worker's test database and
Redis) answers schemathesis' generated requests, valid and invalid, as four principals: none,
a user's Bearer token, an API key with every scope, an admin's Bearer token. Each operation
gets 50 examples per principal (derandomized: the same requests every run). A test fails on any
5xx and on any answer that breaks the documented schema (status, content type, body shape).
The last line says how many requests were made and how many answered 5xx.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fakes import razorpay as rzp
from tests.fixtures.auth import signed_in

pytestmark = pytest.mark.slow

EXAMPLES = 50
# status_code_conformance is honest because every operation documents 4XX and 5XX problems
# (src/openapi.py) besides its own success statuses.
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
SKIPPED_PREFIXES = ("/saq", "/schema")  # the SAQ dashboard and the docs UIs are not JSON API operations
# Live streams never end, so a generated request would wait forever for its answer;
# tests/api/test_live.py covers their answers and refusals.
STREAMS = {"/api/v1/users/me/events", "/api/v1/seasons/{season_id}/leaderboards/{mode}/stream"}
# Operations that end the principal's session or account run last, so they do not starve the rest.
LAST = {("DELETE", "/api/v1/users/me"), ("POST", "/api/v1/auth/logout")}
UVICORN = (sys.executable, "-m", "uvicorn", "--factory", "src.app:create_app", "--host", "127.0.0.1", "--no-access-log")
SCOPES = ("xp:write", "challenges:judge", "users:read", "notifications:write")


class SchemathesisSummary(UserWarning):
    """The run's totals, as a warning so they reach the summary under pytest-xdist too."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(test_env: dict[str, str], app: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    port = _free_port()
    log_path = Path(tmp_path_factory.mktemp("schemathesis")) / "server.log"
    env = {**os.environ, **test_env, "API_KEY_MAX_PER_MINUTE": "100000000", "LOG_LEVEL": "ERROR"}
    # the state dir this process read at import (the dev JWT key is there), not test_env's
    env["XPCORE_STATE_DIR"] = str(app.state.settings.state_dir)
    # payments configured against the local fake, so orders are tested beyond the 503
    payments = rzp.fake_razorpay()
    _fake, razorpay_url = payments.__enter__()
    env.update(
        RAZORPAY_KEY_ID=rzp.KEY_ID,
        RAZORPAY_KEY_SECRET=rzp.KEY_SECRET,
        RAZORPAY_WEBHOOK_SECRET=rzp.WEBHOOK_SECRET,
        RAZORPAY_BASE_URL=razorpay_url,
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*UVICORN, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not answer /health in 30 s")
        yield {"base": base, "log": log_path}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        payments.__exit__(None, None, None)


@pytest.fixture(scope="module")
def schema(server: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{server['base']}/schema/openapi.json")


@pytest.fixture(scope="module")
def totals() -> Any:
    counts: dict[str, int] = {"requests": 0, "server_errors": 0}
    yield counts
    by_class = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()) if key.endswith("xx"))
    line = f"schemathesis: {counts['requests']} requests, {counts['server_errors']} server errors ({by_class})"
    statuses = " ".join(f"{key}:{value}" for key, value in sorted(counts.items()) if key.isdigit())
    print(f"\nschemathesis statuses: {statuses}\n{line}")
    warnings.warn(SchemathesisSummary(line), stacklevel=1)


async def _principal_headers(kind: str, db: Any, app: Any, api_key_factory: Any) -> dict[str, str]:
    if kind == "none":
        return {}
    if kind == "api_key":
        return await api_key_factory(*SCOPES, name="schemathesis")
    person = await signed_in(db, app, roles=("user", "admin") if kind == "admin" else ("user",))
    return dict(person["headers"])


def _operations(schema: Any) -> list[Any]:
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()  # an unresolvable operation is a broken schema: fail here
        if not operation.path.startswith(SKIPPED_PREFIXES) and operation.path not in STREAMS:
            operations.append(operation)
    return sorted(operations, key=lambda op: ((op.method.upper(), op.path) in LAST, op.path, op.method))


def _run_operation(operation: Any, base: str, headers: dict[str, str], session: Any, counts: dict[str, int]) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
    )
    def check(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, session=session, timeout=30)
        if os.environ.get("SCHEMATHESIS_TRACE"):
            print(response.status_code, case.method, case.formatted_path, response.text[:150])
        counts["requests"] += 1
        status_class = f"{response.status_code // 100}xx"
        counts[status_class] = counts.get(status_class, 0) + 1
        counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1
        if response.status_code >= 500:
            counts["server_errors"] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


@pytest.mark.parametrize("principal", ["none", "user", "api_key", "admin"])
async def test_every_operation_as(principal, schema, server, totals, db, app, api_key_factory) -> None:
    import asyncio

    headers = await _principal_headers(principal, db, app, api_key_factory)
    if principal in ("user", "admin"):  # the principal is real: its token signs in on the server
        me = httpx.get(f"{server['base']}/api/v1/users/me", headers=headers, timeout=10)
        assert me.status_code == 200, me.text
    operations = _operations(schema)
    assert len(operations) > 40, [op.path for op in operations]
    failures: list[str] = []

    def run_all() -> None:
        with requests.Session() as session:
            for operation in operations:
                try:
                    _run_operation(operation, server["base"], headers, session, totals)
                except (Exception, BaseExceptionGroup) as exc:  # one operation's failure must not hide the others'
                    failures.append(f"{operation.method.upper()} {operation.path} as {principal}:\n{exc}")

    await asyncio.to_thread(run_all)  # schemathesis is synchronous; keep the session loop free
    assert not failures, "\n\n".join(failures) + f"\n\nserver log: {server['log']}"
