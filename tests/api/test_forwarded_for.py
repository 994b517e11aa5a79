"""The per-IP OTP limit against a real `xpcore run` (uvicorn): an attacker rotating
X-Forwarded-For from one peer must still be one IP, unless that peer is a configured proxy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(test_env: dict[str, str], **extra: str) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        **test_env,
        "OTP_MAX_PER_IP": "20",
        "REDIS_KEY_PREFIX": f"xff-{uuid.uuid4().hex}",
        "XPCORE_PORT": str(port),
        **extra,
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "src.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "xpcore run did not start"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def _rotate(base: str, n: int = 25) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base, timeout=10) as http:
        for i in range(n):
            forged = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
            email = f"xff-{uuid.uuid4().hex[:10]}@example.com"
            statuses.append(http.post("/api/v1/auth/otp", json={"email": email}, headers=forged).status_code)
    return statuses


def test_rotating_x_forwarded_for_does_not_escape_the_per_ip_limit(test_env) -> None:
    with served(test_env) as base:
        assert _rotate(base) == [202] * 20 + [429] * 5


def test_a_configured_proxy_is_trusted_for_the_client_address(test_env) -> None:
    with served(test_env, TRUSTED_PROXIES="127.0.0.1") as base:
        assert _rotate(base) == [202] * 25  # each forwarded address has its own window


def test_a_malformed_trusted_proxy_is_refused_at_start(monkeypatch) -> None:
    import pytest

    from src.settings import SettingsError, load_settings

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings()
