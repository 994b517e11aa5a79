"""Live updates as Server-Sent Events (docs/live.md): a user's notifications and rank changes,
and the top of a board each time its snapshot is published. The streams read the process's
live hub (src/live/hub.py): one LISTEN connection per process, whatever the number of streams;
a stream itself holds no database connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream

from src.guards import requires_user
from src.live import answers
from src.live.hub import HEARTBEAT_S, MODES, Event, Hub, Subscriber
from src.notifications.answers import Notification
from src.problems import with_code

EVENT_STREAM = "text/event-stream"
# no proxy buffering (nginx) and no caching of a stream
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _stream_spec(shape: Any, description: str) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=shape, description=description, media_type=EVENT_STREAM, generate_examples=False
        )
    }


async def _events(hub: Hub, subscriber: Subscriber, kind: str) -> AsyncIterator[bytes]:
    """The stream's bytes: each event was encoded once by the hub, for every stream it goes to."""
    await hub.subscribe(subscriber)
    try:
        ready = answers.StreamReady(stream=kind, heartbeat_s=int(HEARTBEAT_S))  # type: ignore[arg-type]
        yield Event("ready", _json(ready)).raw
        while True:
            yield (await subscriber.queue.get()).raw
    finally:  # the client went away (Litestar cancels the stream on disconnect) or the server stops
        hub.unsubscribe(subscriber)


def _json(struct: Any) -> str:
    import msgspec

    return msgspec.json.encode(struct).decode()


def _hub(state: State) -> Hub:
    hub: Hub = state.live
    if hub.streams >= state.settings.live_max_streams:
        raise with_code(ServiceUnavailableException("this server holds its most live streams"), "live.too_many_streams")
    return hub


class LiveController(Controller):
    path = "/api/v1"
    tags = ["live"]

    @get(
        "/users/me/events",
        guards=[requires_user],
        media_type=EVENT_STREAM,
        responses=_stream_spec(
            Notification | answers.RankChange | answers.StreamReady | answers.StreamResync,
            "Server-Sent Events: `ready` first, then `notification` (a new feed item), `rank` (your "
            "rank on a published snapshot changed), `resync` (events were missed: reload over REST); "
            "a `: ping` comment every 15 s",
        ),
    )
    async def my_events(self, request: Request[Any, Any, Any], state: State) -> Stream:
        """The caller's live events: new notifications as they are written, and their rank on
        each current-season board whenever a published snapshot changes it. An `EventSource`
        sends the `access_token` cookie; other clients the Bearer token."""
        hub = _hub(state)
        subscriber = Subscriber(user_id=str(request.user.user_id))
        return Stream(_events(hub, subscriber, "user"), media_type=EVENT_STREAM, headers=HEADERS)

    @get(
        "/seasons/{season_id:str}/leaderboards/{mode:str}/stream",
        media_type=EVENT_STREAM,
        responses=_stream_spec(
            answers.BoardTop | answers.StreamReady | answers.StreamResync,
            "Server-Sent Events: `ready` first, then `board` (the top `limit` lines) each time the "
            "board's rank snapshot is published (every few seconds), `resync` when events were missed; "
            "a `: ping` comment every 15 s",
        ),
    )
    async def board_stream(
        self,
        state: State,
        season_id: Annotated[str, Parameter(pattern=r"^current$", description="only `current`")],
        mode: str,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 10,
    ) -> Stream:
        """The top of a current-season board, pushed each time its snapshot is published."""
        if mode not in MODES:
            raise with_code(
                NotFoundException(f"no {mode} board: mode must be reality or cyber"), "seasons.unknown_board"
            )
        hub = _hub(state)
        subscriber = Subscriber(mode=mode, limit=limit)
        return Stream(_events(hub, subscriber, "board"), media_type=EVENT_STREAM, headers=HEADERS)
