"""Benchmark plumbing shared by the bench scripts: servers as subprocesses, wrk runs, reports.

Every figure is measured on this machine in the same run as the minimal baseline
(`bench/baseline.py`), so ratios are meaningful even where absolute numbers drift.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = ROOT / "bench" / "wrk"
RESULT = re.compile(r"WRK_RESULT (.*)")


@dataclass
class WrkResult:
    name: str
    rps: float
    p50: float
    p99: float
    p999: float
    errors: int
    non2xx: int
    requests: int

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rps:,.0f} | {self.p50:.2f} | {self.p99:.2f} | {self.p999:.2f} |"
            f" {self.non2xx + self.errors} |"
        )


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("bench: wrk is required (Debian: apt-get install wrk)")
    return wrk


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from src.embedded import ensure_postgres

    return ensure_postgres()


def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    from src.embedded import ensure_valkey

    return ensure_valkey()


def app_env(**extra: str) -> dict[str, str]:
    """The environment of the app servers a bench starts: test settings, quiet logs, the bench
    secret, no API-key limit, plus `extra`. This process takes the same (its fixtures sign
    tokens and make API keys with them)."""
    env = {
        **os.environ,
        "REDIS_URL": redis_url(),
        "XPCORE_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "XPCORE_SECRET_KEY": os.environ.get("XPCORE_SECRET_KEY", "bench-secret-key"),
        "API_KEY_MAX_PER_MINUTE": "100000000",
        **extra,
    }
    os.environ.update({k: env[k] for k in ("REDIS_URL", "XPCORE_ENV", "XPCORE_SECRET_KEY", "LOG_LEVEL")})
    return env


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
            time.sleep(0.2)
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


@contextlib.contextmanager
def server(
    args: list[str], env: dict[str, str], ready_url: str, *, timeout: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    # The server's log goes to a file, never to an unread pipe: a server logging errors filled
    # the pipe's 64 KiB and stalled, and the bench measured 0 req/s instead of the errors.
    log = tempfile.NamedTemporaryFile(prefix="xpcore-bench-server-", suffix=".log", delete=False)
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        try:
            wait_http(ready_url, timeout)
        except RuntimeError:
            raise RuntimeError(f"{ready_url} did not come up; its log: {log.name}") from None
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        errors = Path(log.name).read_text(errors="replace").count('"level": "error"')
        if errors:
            print(f"note: the server logged {errors} errors ({log.name})", flush=True)
        else:
            os.unlink(log.name)


def uvicorn(target: str, port: int, *, factory: bool = False, workers: int = 1) -> list[str]:
    args = [sys.executable, "-m", "uvicorn", target, "--port", str(port), "--host", "127.0.0.1"]
    args += ["--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"]
    if workers > 1:
        args += ["--workers", str(workers)]
    return [*args, "--factory"] if factory else args


def run_wrk(
    name: str,
    url: str,
    script: str,
    *,
    duration: int = 15,
    connections: int = 32,
    threads: int = 1,
    env: dict[str, str] | None = None,
    delay_ms: float | None = None,
) -> WrkResult:
    """Run wrk with `bench/wrk/<script>` plus the shared report hook; parse its result line.
    `delay_ms` paces it: each connection waits that long before its next request, so the rate
    is about connections / (delay + latency), an open-loop load below saturation."""
    body = (WRK_DIR / script).read_text() + "\n" + (WRK_DIR / "report.lua").read_text()
    if delay_ms is not None:
        body += f"\ndelay = function() return {delay_ms:.3f} end\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(body)
        lua = handle.name
    try:
        output = subprocess.run(
            [require_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "-s", lua, url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
            timeout=duration + 60,
        ).stdout
    finally:
        os.unlink(lua)
    match = RESULT.search(output)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    fields = dict(part.split("=") for part in match.group(1).split())
    return WrkResult(
        name=name,
        rps=float(fields["rps"]),
        p50=float(fields["p50"]),
        p99=float(fields["p99"]),
        p999=float(fields["p999"]),
        errors=int(fields["errors"]),
        non2xx=int(fields["non2xx"]),
        requests=int(fields["requests"]),
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes `pids` have used so far (Linux /proc; a process
    gone meanwhile counts 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def table(results: list[WrkResult]) -> str:
    head = "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors |\n|---|---:|---:|---:|---:|---:|"
    return "\n".join([head, *(r.row() for r in results)])


def run_sql(url: str, sql: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def analyze(*urls: str) -> None:
    """ANALYZE every table of each database, as autovacuum does once a table has grown (the bench
    server runs with it off). Run after a warm-up: a table analysed while it was empty (a loaded
    database's VACUUM ANALYZE: engage.streaks, leagues.members, ...) records 0 rows, the cached
    plans of the award's functions then scan it whole, and an award costs more with every row
    booked (at 1M league members, 2.7 ms of backend CPU against 0.83 once analysed)."""
    for url in urls:
        run_sql(url, "analyze")
