"""Notifications of api.md: push devices, the in-app feed, and admin broadcasts."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import Parameter

from src.answers import documented
from src.db import Database, Document, json_response
from src.guards import requires_admin, requires_user
from src.limits import INT64_MAX, BigintId, check_json_object
from src.notifications import answers, calls

log = logging.getLogger("xpcore.notifications")


class DeviceCreate(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=4096)]
    platform: Literal["android", "ios", "web"]


class BroadcastCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Annotated[str, msgspec.Meta(max_length=2000)]
    data: dict[str, Any] | None = None


class BroadcastAccepted(msgspec.Struct):
    id: int
    status: str = "accepted"


class NotificationsController(Controller):
    path = "/api/v1"
    tags = ["notifications"]

    @post(
        "/users/me/devices",
        guards=[requires_user],
        status_code=201,
        responses=documented(answers.Device, "The device, registered to the caller", 201),
    )
    async def register_device(self, request: Request[Any, Any, Any], db: Database, data: DeviceCreate) -> Document:
        """Register a push token; a token held by another user moves to the caller."""
        return await calls.device_register(db, request.user.user_id, data.token, data.platform)

    @delete("/users/me/devices/{token:str}", guards=[requires_user], status_code=204)
    async def unregister_device(self, request: Request[Any, Any, Any], db: Database, token: str) -> None:
        await calls.device_unregister(db, request.user.user_id, token)

    @get("/notifications", guards=[requires_user], responses=documented(answers.Feed, "The caller's feed"))
    async def feed(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        unread: bool = False,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        cursor: Annotated[int | None, Parameter(ge=1, le=INT64_MAX)] = None,
    ) -> Response[bytes]:
        """`{items:[{id, kind, title, body, data, created_at, read_at}], unread_count, next_cursor}`."""
        return json_response(await calls.feed(db, request.user.user_id, unread, cursor, limit))

    @post("/notifications/{notification_id:int}/read", guards=[requires_user], status_code=204)
    async def mark_read(self, request: Request[Any, Any, Any], db: Database, notification_id: BigintId) -> None:
        await calls.mark_read(db, request.user.user_id, notification_id)

    @post("/notifications/read-all", guards=[requires_user], status_code=204)
    async def mark_all_read(self, request: Request[Any, Any, Any], db: Database) -> None:
        await calls.mark_all_read(db, request.user.user_id)

    @post("/admin/notifications/broadcast", guards=[requires_admin], status_code=202)
    async def broadcast(
        self, request: Request[Any, Any, Any], db: Database, data: BroadcastCreate
    ) -> BroadcastAccepted:
        """Record the broadcast, then fan it out in SQL batches from a job (a cron sweep finishes
        it if the job cannot be queued)."""
        check_json_object(data.data, "data")
        broadcast_id = await calls.broadcast_create(db, request.user.user_id, data.title, data.body, data.data)
        try:
            await request.app.state.queue.enqueue(
                "run_broadcast", broadcast_id=broadcast_id, timeout=600, retries=5, key=f"broadcast:{broadcast_id}"
            )
        except Exception as exc:  # Redis down: the minutely sweep delivers it
            log.warning("broadcast %s not queued (%s); the sweep will send it", broadcast_id, type(exc).__name__)
        return BroadcastAccepted(id=broadcast_id)
