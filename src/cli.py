"""`xpcore`: the Litestar CLI bound to the app, plus the project's own groups.

Settings are validated before anything else, so a bad variable stops the process with one
clear line instead of a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def main() -> None:
    from src.settings import settings_or_exit

    settings = settings_or_exit()
    os.environ.setdefault("LITESTAR_APP", "src.app:create_app")
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: only configured
    # proxies may set the client address (the per-IP limits count it)
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(settings.trusted_proxies)
    if not settings.is_production:
        from src.embedded import attach

        try:
            attach(settings)
        except Exception as exc:
            print(f"xpcore: could not start the embedded servers: {exc}", file=sys.stderr)
            raise SystemExit(1) from None

    if sys.argv[1:2] == ["run"]:
        # uvicorn stops gracefully on SIGTERM, then re-raises it with the handler it found: the
        # default one would end a clean stop as "killed" (143). A stop asked for is a success.
        signal.signal(signal.SIGTERM, _exit_cleanly)

    from litestar.cli.main import litestar_group

    from src.commands import register

    register(litestar_group)
    litestar_group(prog_name="xpcore")


if __name__ == "__main__":
    main()
