"""The production topology on real processes: the migrate, API and worker commands of
compose.yaml run as subprocesses of this test, on their own database (created here on the
suite's PostgreSQL server), their own Redis queue and key prefix, with e-mail through moto's
SES server and push and payments through the local fakes of FCM and Razorpay (all in-thread
servers of this pytest process, so the journeys can read what arrived).

Everything started here is stopped here, also when a journey fails; the logs of the API and
the worker are printed when a journey fails, so CI shows why.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from src.embedded import with_database
from src.settings import ROOT
from tests.fakes import razorpay as rzp
from tests.fakes.fcm import FakeFCM, fake_fcm
from tests.fakes.ses import free_port, moto_ses

SENDER = "xpcore <no-reply@xpcore.local>"
XPCORE = str(Path(sys.executable).with_name("xpcore"))
READY_S = 30


def compose_commands() -> dict[str, list[str]]:
    """The `command:` of compose.yaml's migrate, api and worker services, exactly."""
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    return {name: list(services[name]["command"]) for name in ("migrate", "api", "worker")}


def localize(command: list[str], **options: str) -> list[str]:
    """compose's command with this venv's console script and `--host`/`--port` substituted."""
    assert command[0] == "xpcore", command
    out = [XPCORE, *command[1:]]
    for option, value in options.items():
        flag = f"--{option}"
        assert flag in out, f"compose's {command} has no {flag}"
        out[out.index(flag) + 1] = value
    return out


class Process:
    """A long-running subprocess in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log = logs / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"--- start {' '.join(self.argv)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.proc is not None
            try:
                os.killpg(self.proc.pid, sig)  # the group: any child the CLI spawned goes too
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL, no cleanup: what a crash or an OOM kill does."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def run_once(argv: list[str], env: dict[str, str]) -> str:
    """A one-shot command (migrate, seeds): must succeed; answers its stdout."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_parallel(commands: list[list[str]], env: dict[str, str]) -> list[str]:
    """Independent one-shot commands at once: all must succeed; their stdouts, in order."""
    running = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for argv in commands
    ]
    outputs = []
    for argv, proc in zip(commands, running, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{' '.join(argv)} failed ({proc.returncode}):\n{out}\n{err}"
        outputs.append(out)
    return outputs


def _sql(url: str, query: str, *args: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(go())


class Stack:
    def __init__(self, env: dict[str, str], logs: Path, fcm: FakeFCM, razorpay: rzp.FakeRazorpay, ses_url: str):
        self.env, self.logs, self.fcm, self.razorpay, self.ses_url = env, logs, fcm, razorpay, ses_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        commands = compose_commands()
        self.migrate_argv = localize(commands["migrate"])
        self.api = Process("api", localize(commands["api"], host="127.0.0.1", port=str(self.port)), env, logs)
        self.worker = Process("worker", localize(commands["worker"]), env, logs)
        self.admin_email = "ops@e2e.example.com"
        self.admin_id = ""
        self.api_key = ""
        self.past_season = ""
        self.http = httpx.Client(base_url=self.base_url, timeout=15)

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def sql(self, query: str, *args: Any) -> Any:
        """Arrangement only (users in bulk, last month's season as a running deployment has it);
        every journey acts and checks through HTTP."""
        return _sql(self.database_url, query, *args)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_S
        last = ""
        while time.monotonic() < deadline:
            assert self.api.alive(), f"the API exited:\n{self.api.tail()}"
            try:
                answer = self.http.get("/ready")
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise AssertionError(f"/ready never answered 200 ({last}):\n{self.api.tail()}")

    def start_worker(self) -> None:
        self.worker.start()
        # `xpcore workers run` must stay up: it used to exit at once when the CLI found no SAQPlugin
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            assert self.worker.alive(), f"`xpcore workers run` exited:\n{self.worker.tail()}"
            if "Worker starting" in self.worker.log.read_text(errors="replace").split("--- start")[-1]:
                break
            time.sleep(0.2)
        time.sleep(0.5)
        assert self.worker.alive(), f"`xpcore workers run` exited:\n{self.worker.tail()}"

    def enqueue(self, function: str, key: str | None = None, **kwargs: Any) -> None:
        """What an operator can do: put a job on the worker's queue (SAQ, like the API does)."""
        from saq import Queue

        async def go() -> None:
            queue = Queue.from_url(self.env["REDIS_URL"], name=self.env["XPCORE_QUEUE"])
            try:
                await queue.enqueue(function, key=key or f"e2e-{function}-{uuid.uuid4().hex}", timeout=120, **kwargs)
            finally:
                await queue.disconnect()

        asyncio.run(go())


def _stop_all(stack: Stack) -> None:
    for process in (stack.worker, stack.api):
        process.stop()
    stack.http.close()


@pytest.fixture(scope="module")
def stack(pg_server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run = uuid.uuid4().hex[:8]
    database = f"xpcore_e2e_{run}"
    admin_url = with_database(pg_server_url, "postgres")
    _sql(admin_url, f'create database "{database}"')
    home = tmp_path_factory.mktemp("e2e")
    with ExitStack() as cleanup:
        cleanup.callback(_sql, admin_url, f'drop database if exists "{database}" with (force)')
        patch = cleanup.enter_context(pytest.MonkeyPatch.context())
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")  # moto's client here and boto3 in the subprocesses
        ses_url = cleanup.enter_context(moto_ses(SENDER))
        fcm, fcm_url, credentials = cleanup.enter_context(fake_fcm(home))
        fcm.down = False
        razorpay, razorpay_url = cleanup.enter_context(rzp.fake_razorpay())
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("XPCORE_", "OAUTH_", "RAZORPAY_"))},
            "XPCORE_ENV": "test",
            "DATABASE_URL": with_database(pg_server_url, database),
            "REDIS_URL": redis_url,
            "XPCORE_QUEUE": f"xpcore-e2e-{run}",
            "REDIS_KEY_PREFIX": f"xpcore-e2e-{run}",
            "XPCORE_SECRET_KEY": f"e2e-secret-{uuid.uuid4().hex}",
            "XPCORE_STATE_DIR": str(home / "state"),  # the dev JWT key the API makes for itself
            "XPCORE_WORKER_IN_PROCESS": "false",
            "COOKIE_SECURE": "false",
            "OTP_MAX_PER_IP": "1000",
            "LOG_LEVEL": "INFO",
            "EMAIL_BACKEND": "ses",
            "EMAIL_FROM": SENDER,
            "AWS_ENDPOINT_URL_SESV2": ses_url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "FIREBASE_CREDENTIALS": str(credentials),
            "FCM_ENDPOINT": fcm_url,
            "PUSH_LEASE_S": "6",  # a killed worker's claimed pushes go again after 6 s, not 2 min
            "RAZORPAY_KEY_ID": rzp.KEY_ID,
            "RAZORPAY_KEY_SECRET": rzp.KEY_SECRET,
            "RAZORPAY_WEBHOOK_SECRET": rzp.WEBHOOK_SECRET,
            "RAZORPAY_BASE_URL": razorpay_url,
        }
        stack = Stack(env, home, fcm, razorpay, ses_url)
        cleanup.callback(_stop_all, stack)

        # what an operator runs once: migrate first; then the seeds, the admin and the bot's key,
        # side by side with the API's start (each CLI start costs seconds of imports)
        started = time.monotonic()

        def mark(step: str) -> None:  # shown with -s, or under a failure
            print(f"[e2e] {step}: {time.monotonic() - started:.1f} s", file=sys.stderr)

        run_once(stack.migrate_argv, env)
        mark("migrated")
        stack.api.start()
        seeded = run_parallel(
            [
                [XPCORE, "seed", "store"],
                [XPCORE, "users", "create-admin", stack.admin_email],
                [XPCORE, "api-keys", "create", "e2e-bot", "--scope", "xp:write"],
            ],
            env,
        )
        stack.admin_id = seeded[1].strip().splitlines()[-1].split("(")[1].split(")")[0]
        stack.api_key = seeded[2].strip().splitlines()[-1]
        assert stack.api_key.startswith("xpk_"), stack.api_key
        mark("seeded")
        stack.wait_ready()
        mark("API ready")
        _late_award_for_last_month(stack)
        stack.start_worker()
        mark("worker started")
        yield stack


def _late_award_for_last_month(stack: Stack) -> None:
    """A deployment that ran last month still has last month's season open until the worker's
    roll job closes it (within five minutes of the month's end); a bot's late award for last
    month lands in it. A fresh database has no such season (made on demand after its end, it is
    born closed), so it is arranged as a running deployment has it; the award itself goes
    over HTTP, before the worker (whose cron could close the season) starts."""
    month_start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = (month_start - timedelta(days=1)).replace(day=1)
    stack.past_season = previous.strftime("%Y-%m")
    stack.sql(
        "insert into xp.seasons (id, starts_at, ends_at, status) values ($1, $2, $3, 'active')"
        " on conflict (id) do update set status = 'active', closed_at = null",
        stack.past_season,
        previous,
        month_start,
    )
    answer = stack.http.post(
        "/api/v1/xp/events",
        headers={"X-API-Key": stack.api_key},
        json={
            "user": {"id": stack.admin_id},
            "activity": "run_km",
            "units": 3,
            "idempotency_key": f"late-{stack.past_season}",
            "occurred_at": (month_start - timedelta(minutes=30)).isoformat(),
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["season_id"] == stack.past_season


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        for process in (stack.api, stack.worker):
            report.sections.append((f"{process.name} log (tail)", process.tail(60)))
