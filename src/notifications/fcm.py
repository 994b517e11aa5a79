"""Firebase Cloud Messaging through firebase-admin.

`FIREBASE_CREDENTIALS` is a service-account JSON file; `FCM_ENDPOINT` replaces
https://fcm.googleapis.com (tests point it at a local fake, whose token endpoint the
service-account file names as `token_uri`). firebase-admin builds its send URL when the
messaging service is created and has no option for another host, so the adapter sets it on
that service object once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger("xpcore.fcm")
RETRYABLE = ("UnavailableError", "InternalError", "QuotaExceededError", "DeadlineExceededError", "UnknownError")
DEAD = ("UnregisteredError", "SenderIdMismatchError", "InvalidArgumentError", "NotFoundError")


@dataclass(frozen=True)
class Push:
    outbox_id: int
    token: str
    title: str
    body: str
    data: dict[str, Any]
    kind: str


@lru_cache(maxsize=4)
def _app(credentials_path: str, endpoint: str | None) -> Any:
    import firebase_admin
    from firebase_admin import credentials, messaging

    app = firebase_admin.initialize_app(
        credentials.Certificate(credentials_path), name=f"xpcore-{abs(hash((credentials_path, endpoint)))}"
    )
    if endpoint:
        service = messaging._get_messaging_service(app)
        service._fcm_url = f"{endpoint.rstrip('/')}/v1/projects/{app.project_id}/messages:send"
    return app


def send(credentials_path: str, endpoint: str | None, pushes: list[Push]) -> list[dict[str, Any]]:
    """Send up to 500 pushes with one send_each; answer one result per push:
    `{outbox_id, token, status: sent|retry|dead, message_id?, error?}`. Blocking: run in a thread."""
    from firebase_admin import messaging

    messages = [
        messaging.Message(
            token=p.token,
            notification=messaging.Notification(title=p.title, body=p.body),
            # the notification id lets clients drop a duplicate (delivery is at least once)
            data={"notification_id": str(p.outbox_id), "kind": p.kind, **{k: str(v) for k, v in p.data.items()}},
        )
        for p in pushes
    ]
    answer = messaging.send_each(messages, app=_app(credentials_path, endpoint))
    results = []
    for push, response in zip(pushes, answer.responses, strict=True):
        key = {"outbox_id": push.outbox_id, "token": push.token}
        if response.success:
            results.append({**key, "status": "sent", "message_id": response.message_id})
            continue
        error = type(response.exception).__name__
        status = "dead" if error in DEAD else "retry"
        results.append({**key, "status": status, "error": f"{error}: {response.exception}"[:500]})
    return results
