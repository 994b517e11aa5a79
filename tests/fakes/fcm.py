"""A local fake of FCM's HTTP v1 send endpoint and Google's OAuth token endpoint, plus a
service-account file pointing at it, for the real firebase-admin client.

Tokens steer the answer: `bad-...` is UNREGISTERED (404), `down-...` answers 503 while
`fake.down` is true, anything else succeeds. Every accepted message is recorded. `fake.delay`
(seconds, default 0) slows every send, so a test can catch a sender in the middle of a batch."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.http import Request, serve


class FakeFCM:
    def __init__(self) -> None:
        self.accepted: list[dict[str, Any]] = []
        self.down = True
        self.delay = 0.0
        self._lock = threading.Lock()
        self._count = 0

    def token(self, request: Request) -> tuple[int, Any]:
        return 200, {"access_token": "fake-google-token", "expires_in": 3600, "token_type": "Bearer"}

    def send(self, request: Request) -> tuple[int, Any]:
        auth = {k.lower(): v for k, v in request.headers.items()}.get("authorization")
        if auth != "Bearer fake-google-token":
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "no"}}
        if self.delay:
            time.sleep(self.delay)
        message = request.json()["message"]
        token = message["token"]
        if token.startswith("bad-"):
            return 404, {
                "error": {
                    "code": 404,
                    "status": "NOT_FOUND",
                    "message": "Requested entity was not found.",
                    "details": [
                        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}
                    ],
                }
            }
        if token.startswith("down-") and self.down:
            return 503, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}
        with self._lock:
            self._count += 1
            self.accepted.append(message)
            return 200, {"name": f"projects/xpcore-test/messages/{self._count}"}


@contextmanager
def fake_fcm(directory: Path) -> Iterator[tuple[FakeFCM, str, Path]]:
    """(fake, endpoint, service-account file)."""
    fake = FakeFCM()
    routes = {("POST", "/token"): fake.token, ("POST", "/v1/projects/xpcore-test/messages:send"): fake.send}
    with serve(routes) as url:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        path = directory / "service-account.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "xpcore-test",
                    "private_key_id": "k1",
                    "private_key": pem,
                    "client_email": "push@xpcore-test.iam.gserviceaccount.com",
                    "client_id": "1",
                    "token_uri": f"{url}/token",
                }
            )
        )
        yield fake, url, path
