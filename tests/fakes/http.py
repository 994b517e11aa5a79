"""A tiny threaded HTTP server for fakes of remote APIs: route by (method, path) to a function."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["Request"], tuple[int, Any]]


class Request:
    def __init__(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def _wildcard(routes: dict[tuple[str, str], Handler], method: str, path: str) -> Handler | None:
    """Routes may use `*` for one path segment: ("GET", "/v1/orders/*/payments")."""
    segments = path.strip("/").split("/")
    for (route_method, route_path), handler in routes.items():
        pattern = route_path.strip("/").split("/")
        if (
            route_method == method
            and len(pattern) == len(segments)
            and all(p in ("*", s) for p, s in zip(pattern, segments, strict=True))
        ):
            return handler
    return None


@contextmanager
def serve(routes: dict[tuple[str, str], Handler]) -> Iterator[str]:
    """Serve `routes` on 127.0.0.1 (a free port); yields the base URL. Records every request."""
    seen: list[Request] = []

    class Handle(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command,
                parts.path,
                parse_qs(parts.query),
                dict(self.headers.items()),
                self.rfile.read(length) if length else b"",
            )
            seen.append(request)
            handler = routes.get((self.command, parts.path)) or _wildcard(routes, self.command, parts.path)
            status, payload = handler(request) if handler else (404, {"error": "not found"})
            body = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away (a killed worker): nothing to answer

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.seen = seen  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
