"""5,000 open Server-Sent Event streams on ONE API process: memory per stream and delivery latency.

python bench/sse.py                      # 5,000 streams: half users' events, half a board's top
python bench/sse.py --streams 1000       # smaller

Starts one API process (uvicorn, one worker, like the other benches) on a fresh database
`xpcore_live_sse` (dropped at the end), opens the streams from this process with plain asyncio
sockets, and measures:

- the API process's RSS before any stream and with every stream open (`/proc/<pid>/status`
  VmRSS): memory per stream;
- the listener connections the process holds (`pg_stat_activity`, application_name
  `xpcore-live`): one, whatever the number of streams;
- latency from commit to arrival on every stream: a broadcast written for every user (one
  NOTIFY for the batch), a single notification (one NOTIFY, one stream), and a rank snapshot
  publish (`xp.rebuild_board`: a `board` event to every board stream, a `rank` event to every
  user stream).

Results go to results/sse.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, xp_load

RESULTS = Path(__file__).resolve().parent / "results"
DATABASE = "xpcore_live_sse"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class Client:
    """One stream over a raw socket: records when each named event arrived."""

    __slots__ = ("arrivals", "path", "reader", "token", "user_id", "writer")

    def __init__(self, path: str, token: str | None = None, user_id: str | None = None) -> None:
        self.path, self.token, self.user_id = path, token, user_id
        self.arrivals: dict[str, list[float]] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        auth = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        self.writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n{auth}\r\n".encode()
        )
        await self.writer.drain()
        status = await self.reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"{self.path}: {status!r}")
        while await self.reader.readline() not in (b"\r\n", b""):
            pass
        while "ready" not in self.arrivals:  # the stream is registered with the hub
            await self._next()

    async def _next(self) -> None:
        assert self.reader is not None
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("stream closed")
        # chunked transfer: size lines and data lines both come through readline
        if line.startswith(b"event: "):
            self.arrivals.setdefault(line[7:].strip().decode(), []).append(time.perf_counter())

    async def read_forever(self) -> None:
        try:
            while True:
                await self._next()
        except (ConnectionError, asyncio.CancelledError):
            pass

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def percentiles(values: list[float]) -> str:
    if not values:
        return "none arrived"
    ordered = sorted(values)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms, max {ordered[-1] * 1000:.0f} ms"


async def arrange(url: str, users: int) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("select seasons.roll()")  # this month's season
        rows = await conn.fetch(
            "insert into app.users (username, email) select 'sse' || n, 'sse' || n || '@bench.example.com'"
            " from generate_series(1, $1) n returning id",
            users,
        )
        ids = [str(r["id"]) for r in rows]
        await conn.execute(
            "insert into xp.season_scores (season_id, mode, user_id, xp, reached_at)"
            " select to_char(now() at time zone 'UTC', 'YYYY-MM'), 'reality', u, 10 * n, now()"
            " from unnest($1::uuid[]) with ordinality as t(u, n)",
            ids,
        )
        return ids
    finally:
        await conn.close()


async def bench(url: str, port: int, pid: int, streams: int, ids: list[str], tokens: list[str]) -> list[str]:
    lines: list[str] = []
    users = streams // 2
    clients = [Client("/api/v1/users/me/events", tokens[n], ids[n]) for n in range(users)]
    clients += [
        Client("/api/v1/seasons/current/leaderboards/reality/stream?limit=10", None) for _ in range(streams - users)
    ]
    conn = await asyncpg.connect(url)
    try:
        before = rss_kib(pid)
        started = time.perf_counter()
        for start in range(0, len(clients), 250):
            await asyncio.gather(*(c.open(port) for c in clients[start : start + 250]))
        opened_s = time.perf_counter() - started
        readers = [asyncio.create_task(c.read_forever()) for c in clients]
        await asyncio.sleep(2)
        after = rss_kib(pid)
        listeners = await conn.fetchval(
            "select count(*) from pg_stat_activity"
            " where datname = current_database() and application_name = 'xpcore-live'"
        )
        per_stream = (after - before) / streams
        lines += [
            f"- {streams:,} streams open ({users:,} `/users/me/events`, {streams - users:,} board streams)"
            f" in {opened_s:.1f} s, on one API process",
            f"- API process RSS: {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB with every stream open:"
            f" **{per_stream:.1f} KiB per stream**",
            f"- LISTEN connections of the process: **{listeners}**",
        ]

        async def wait_for(event: str, group: list[Client], count_before: list[int], within: float = 30) -> None:
            deadline = time.perf_counter() + within
            while time.perf_counter() < deadline:
                if all(len(c.arrivals.get(event, [])) > n for c, n in zip(group, count_before, strict=True)):
                    return
                await asyncio.sleep(0.05)

        def latencies(event: str, group: list[Client], count_before: list[int], t0: float) -> list[float]:
            return [
                c.arrivals[event][n] - t0
                for c, n in zip(group, count_before, strict=True)
                if len(c.arrivals.get(event, [])) > n
            ]

        user_clients, board_clients = clients[:users], clients[users:]
        # one notification, one stream, 20 times
        single = []
        for n in range(20):
            target = user_clients[n * (users // 20)]
            seen = [len(target.arrivals.get("notification", []))]
            t0 = time.perf_counter()
            await conn.fetchval("select notify.enqueue($1, 'broadcast', 'Hi', 'one')", target.user_id)
            await wait_for("notification", [target], seen, 10)
            single += latencies("notification", [target], seen, t0)
        lines.append(f"- one notification to one of the streaming users (x{len(single)}): {percentiles(single)}")

        # a broadcast to every user: one NOTIFY for the batch, one catch-up call for all streams
        seen = [len(c.arrivals.get("notification", [])) for c in user_clients]
        broadcast = await conn.fetchval("select notify.broadcast_create(null, 'All', 'everyone', '{}')")
        t0 = time.perf_counter()
        await conn.fetchval("select notify.broadcast_batch($1, 100000)", broadcast)
        await wait_for("notification", user_clients, seen)
        got = latencies("notification", user_clients, seen, t0)
        lines.append(f"- a broadcast to all {users:,} streaming users, arrived on {len(got):,}: {percentiles(got)}")

        # a snapshot publish: the board's top to every board stream, the rank to every user stream
        seen_board = [len(c.arrivals.get("board", [])) for c in board_clients]
        seen_rank = [len(c.arrivals.get("rank", [])) for c in user_clients]
        t0 = time.perf_counter()
        await conn.fetchval("select xp.rebuild_board(to_char(now() at time zone 'UTC', 'YYYY-MM'), 'reality')")
        await wait_for("board", board_clients, seen_board)
        await wait_for("rank", user_clients, seen_rank)
        boards = latencies("board", board_clients, seen_board, t0)
        ranks = latencies("rank", user_clients, seen_rank, t0)
        lines.append(
            f"- a rank snapshot published (rebuild included): `board` on {len(boards):,} streams:"
            f" {percentiles(boards)};"
            f" `rank` on {len(ranks):,} streams: {percentiles(ranks)}"
        )
        rss_loaded = rss_kib(pid)
        for c in clients:
            c.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.sleep(3)
        lines.append(
            f"- RSS after those deliveries {rss_loaded / 1024:.0f} MiB;"
            f" after every client left {rss_kib(pid) / 1024:.0f} MiB"
        )
    finally:
        await conn.close()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=5_000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.streams * 2 + 1000  # this process's sockets and the server's (it inherits the limit)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    url = xp_load.fresh_database(DATABASE)
    try:
        ids = asyncio.run(arrange(url, args.streams // 2))
        pem = rsa_pem()
        os.environ["DATABASE_URL"] = url
        from src.auth.tokens import issue_access
        from src.settings import load_settings

        settings = load_settings()
        settings = dataclasses.replace(settings, jwt=dataclasses.replace(settings.jwt, private_key=pem))
        tokens = [issue_access(settings, {"id": uid, "roles": ["user"]}, None) for uid in ids]
        port = 18_700
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": harness.redis_url(),
            "XPCORE_ENV": "test",
            "JWT_PRIVATE_KEY": pem,
            "LOG_LEVEL": "WARNING",
            "XPCORE_SECRET_KEY": "bench-secret",
            "XPCORE_WORKER_IN_PROCESS": "false",
            "LIVE_MAX_STREAMS": str(args.streams + 100),
        }
        command = [*harness.uvicorn("src.app:create_app", port, factory=True), "--backlog", "4096"]
        log = RESULTS / "sse-server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=harness.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            harness.wait_http(f"http://127.0.0.1:{port}/health", timeout=180)
            time.sleep(1)
            lines = asyncio.run(bench(url, port, process.pid, args.streams, ids, tokens))
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.unlink(missing_ok=True)
    finally:
        asyncio.run(_drop())
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = f"# Live streams (SSE), {stamp}\n\n" + "\n".join(lines) + "\n"
    print(text)
    if args.streams == 5_000:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "sse.md").write_text(text)
    return 0


async def _drop() -> None:
    from src.embedded import with_database

    conn = await asyncpg.connect(with_database(harness.database_url(), "postgres"))
    try:
        await conn.execute(f'drop database if exists "{DATABASE}" with (force)')
    finally:
        await conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
