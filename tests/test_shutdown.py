"""A normal stop of the real processes (SIGTERM from a process manager, SIGINT from Ctrl-C)
exits 0 and logs nothing at error level: `xpcore workers run`, and `xpcore run` with the
in-process worker of `make dev` (litestar-saq's heartbeat thread used to crash on every stop)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from src.settings import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _errors(stderr: str) -> list[str]:
    bad = []
    for line in stderr.splitlines():
        if "Traceback" in line:
            bad.append(line)
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "critical"):
            bad.append(line)
    return bad


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stderr


def _env(test_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = {**os.environ, **test_env, "LOG_LEVEL": "INFO", **extra}
    env["XPCORE_QUEUE"] = f"{test_env['XPCORE_QUEUE']}-stop-{os.getpid()}-{time.monotonic_ns()}"
    return env


def _wait_for(stream_check, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-3000:]
        if stream_check():
            return
        time.sleep(0.3)
    raise AssertionError("the process did not come up")


def _health_answers(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return ready


def _run_then_stop(
    argv: list[str], env: dict[str, str], cwd: Path, log: Path, ready: Callable[[], bool], signum: int, up_s: float = 60
) -> tuple[int, str]:
    """Start a real process, wait until `ready`, let it work a moment, send `signum`."""
    with open(log, "w") as err:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
        try:
            _wait_for(ready, process, timeout=up_s)
            time.sleep(1.5)  # let it schedule and run a first round of cron jobs
            process.send_signal(signum)
            code = process.wait(timeout=40)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return code, log.read_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_workers_run_stops_cleanly(test_env, tmp_path, signum) -> None:
    log = tmp_path / "stderr"
    code, stderr = _run_then_stop(
        [sys.executable, "-m", "src.cli", "workers", "run"],
        _env(test_env),
        ROOT,
        log,
        lambda: "Worker starting" in log.read_text(),
        signum,
    )
    assert code == 0, stderr[-3000:]
    assert _errors(stderr) == [], stderr[-3000:]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_api_with_in_process_worker_stops_cleanly(test_env, tmp_path, signum) -> None:
    port = _free_port()
    code, stderr = _run_then_stop(
        [sys.executable, "-m", "src.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
        _env(test_env, XPCORE_WORKER_IN_PROCESS="true"),
        ROOT,
        tmp_path / "stderr",
        _health_answers(port),
        signum,
    )
    assert code == 0, stderr[-3000:]
    assert _errors(stderr) == [], stderr[-3000:]
    assert "Working shutting down" in stderr  # the worker was stopped, not dropped with the loop


def test_make_devs_ctrl_c_lets_the_api_and_its_worker_stop_cleanly(test_env, tmp_path) -> None:
    """`make dev` (src/devserver.py) passes Ctrl-C to the API it serves and waits: the
    in-process worker stops, nothing is killed half-way."""
    port = _free_port()
    code, stderr = _run_then_stop(
        [sys.executable, "-m", "src.devserver"],
        _env(test_env, XPCORE_PORT=str(port), XPCORE_HOST="127.0.0.1", PYTHONPATH=str(ROOT)),
        tmp_path,  # no .env there
        tmp_path / "stderr",
        _health_answers(port),
        signal.SIGINT,  # what a terminal's Ctrl-C sends
        up_s=120,
    )
    assert code == 0, stderr[-3000:]
    assert _errors(stderr) == [], stderr[-3000:]
    assert "Working shutting down" in stderr, stderr[-3000:]
