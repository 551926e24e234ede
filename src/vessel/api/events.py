"""`GET …/applications/{name}/events/stream`: an application's events as Server-Sent Events, as they
happen. Each event carries its id (`id:`), so a client that reconnects with `Last-Event-ID` gets exactly
what it missed (ids only grow); without it the stream starts with the events kept so far. The data is
the event document of `vessel events -o json`, redacted like every answer. A comment line is sent when
nothing happened for a while, so proxies keep the connection; the stream ends when the client goes or
the server stops (SIGTERM does not wait for streams).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import caller, state_of
from vessel.api.state import ServerState
from vessel.controller.views import rfc3339
from vessel.errors import ValidationError
from vessel.model.redaction import redact_data
from vessel.store.event_stream import events_after
from vessel.store.records import Event

router = APIRouter(prefix="/api/v1", tags=["events"], dependencies=[Depends(caller)])  # a token, always
POLL_S = 0.25  # how often the store is asked for new events
KEEPALIVE_S = 15.0  # a comment line after this long without an event
BATCH = 200


@router.get(
    "/namespaces/{namespace}/applications/{name}/events/stream",
    summary="Events as they happen (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def stream_events(
    request: Request,
    namespace: str,
    name: str,
    last_event_id: Annotated[str | None, Header(description="Resume after this event id.")] = None,
) -> StreamingResponse:
    state = state_of(request)
    ctl = state.controller()
    app = await run_in_threadpool(ctl.find, namespace, name)
    after = _resume_after(last_event_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(state, app.id, after), media_type="text/event-stream", headers=headers)


def _resume_after(last_event_id: str | None) -> int:
    if last_event_id is None:
        return 0
    if not last_event_id.strip().isdigit():
        raise ValidationError(f"Last-Event-ID: {last_event_id!r} is not an event id this server sent")
    return int(last_event_id)


async def _events(state: ServerState, app_id: int, after: int) -> AsyncIterator[str]:
    """The frames; a client that goes away ends it (the response cancels it on disconnect)."""
    yield "retry: 2000\n\n"
    quiet = 0.0
    while not state.stopping.is_set():
        batch = await run_in_threadpool(events_after, state.store, app_id, after, BATCH)
        for event in batch:
            yield _frame(event)
            after = event.id
        quiet = 0.0 if batch else quiet + POLL_S
        if quiet >= KEEPALIVE_S:
            yield ": still here\n\n"
            quiet = 0.0
        if len(batch) < BATCH:
            await asyncio.sleep(POLL_S)


def _frame(event: Event) -> str:
    doc = {"time": rfc3339(event.at), "type": event.type, "reason": event.reason, "message": event.message}
    return f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(redact_data(doc))}\n\n"
