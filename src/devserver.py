"""`make dev`: embedded servers (when no URLs are set), migrate, seed demo data, then serve
the API with one in-process worker on http://127.0.0.1:8000. Ctrl-C stops the API and the
embedded servers this run started; servers that were already running are left running.
`.env` is read the way `xpcore` reads it (`src.settings.settings_or_exit`), so `XPCORE_PORT` or
`DATABASE_URL` there apply here too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from src.settings import settings_or_exit


def main() -> int:
    settings = settings_or_exit()
    from src import embedded

    pg_running = (settings.state_dir / "pgdata" / "postmaster.pid").exists()
    _, added = embedded.attach(settings)
    started_here = bool(added) and not pg_running
    for key in added:
        print(f"xpcore dev: {key} -> embedded server under {settings.state_dir}", flush=True)
    env = dict(os.environ, XPCORE_WORKER_IN_PROCESS="true")
    xpcore = [sys.executable, "-m", "src.cli"]
    try:
        subprocess.run([*xpcore, "database", "upgrade", "--no-prompt"], env=env, check=True)
        subprocess.run([*xpcore, "seed", "demo"], env=env, check=True)
        print(f"xpcore dev: serving on http://{settings.host}:{settings.port} (docs at /schema)", flush=True)
        return _serve([*xpcore, "run", "--host", settings.host, "--port", str(settings.port)], env)
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        if started_here:
            print("xpcore dev: stopping the embedded servers", flush=True)
            embedded.stop_all(settings.state_dir)


def _serve(argv: list[str], env: dict[str, str]) -> int:
    """Run the API and hand it Ctrl-C (or SIGTERM) to stop by itself, then wait for it.

    `subprocess.run` kills its child 0.25 s after a KeyboardInterrupt, which cut the in-process
    worker's clean stop short. The server runs in its own session, so a terminal's Ctrl-C
    reaches only this process, which passes it on once per press (a second press makes
    uvicorn stop at once)."""
    server = subprocess.Popen(argv, env=env, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        if server.poll() is None:
            server.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    code = server.wait()
    # a server stopped by our signal stopped as asked
    return 0 if code in (0, -signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT, 128 + signal.SIGTERM) else code


if __name__ == "__main__":
    raise SystemExit(main())
