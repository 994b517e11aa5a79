"""`make dev` (src/devserver.py) reads `.env` the way the `xpcore` CLI does."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from src import devserver

VARIABLES = ("XPCORE_PORT", "XPCORE_HOST", "DATABASE_URL", "REDIS_URL", "XPCORE_ENV", "LOG_LEVEL")


@pytest.fixture
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a `.env`, and none of its variables in the environment (each is
    put back as it was after the test, including those the `.env` added)."""
    for name in (*VARIABLES, "PYTHON_DOTENV_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        "XPCORE_PORT=18765\n"
        "XPCORE_HOST=127.0.0.2\n"
        "DATABASE_URL=postgresql://dotenv@127.0.0.1:5432/from_dotenv\n"
        "REDIS_URL=redis://127.0.0.1:6379/7\n"
        "XPCORE_ENV=test\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    """The xpcore commands devserver would run, recorded instead of run."""
    seen: list[tuple[list[str], dict[str, str]]] = []

    def run(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        seen.append((args, env))
        return subprocess.CompletedProcess(args, 0)

    def serve(args: list[str], env: dict[str, str]) -> int:
        seen.append((args, env))
        return 0

    monkeypatch.setattr(devserver.subprocess, "run", run)
    monkeypatch.setattr(devserver, "_serve", serve)
    return seen


def _serve(commands: list[tuple[list[str], dict[str, str]]]) -> tuple[list[str], dict[str, str]]:
    return next((args, env) for args, env in commands if "run" in args)


def test_make_dev_serves_on_the_port_and_servers_of_dotenv(in_project, commands) -> None:
    assert devserver.main() == 0
    args, env = _serve(commands)
    assert args[-4:] == ["--host", "127.0.0.2", "--port", "18765"]
    # the children (upgrade, seed, run) see the same variables; no embedded server was started
    assert [a[3:5] for a, _ in commands] == [["database", "upgrade"], ["seed", "demo"], ["run", "--host"]]
    assert all(e["DATABASE_URL"].endswith("/from_dotenv") for _, e in commands)
    assert env["REDIS_URL"] == "redis://127.0.0.1:6379/7"
    assert env["XPCORE_WORKER_IN_PROCESS"] == "true"


def test_the_environment_wins_over_dotenv_as_in_the_cli(in_project, commands, monkeypatch) -> None:
    monkeypatch.setenv("XPCORE_PORT", "18766")
    assert devserver.main() == 0
    args, _ = _serve(commands)
    assert args[-1] == "18766"


def test_dev_and_the_cli_share_one_loader(in_project, monkeypatch) -> None:
    """The CLI entry point loads the same file through the same function before validating."""
    import src.cli
    import src.settings

    loaded: list[str | None] = []
    real = src.settings.load_env_file

    def spy() -> str | None:
        path = real()
        loaded.append(path)
        raise SystemExit(0)  # stop before the Litestar CLI starts

    monkeypatch.setattr(src.settings, "load_env_file", spy)
    with pytest.raises(SystemExit):
        src.cli.main()
    assert loaded == [str(in_project / ".env")]
