"""Events as Server-Sent Events, as they happen: of one application
(`…/applications/{name}/events/stream`), of a namespace (`/namespaces/{namespace}/events/stream`), or of
everything the caller may see (`/events/stream`: every application in the namespaces of the caller's
projects; an admin's, every application).

Each event carries its id (`id:`), so a client that reconnects with `Last-Event-ID` gets exactly what it
missed (ids only grow; streams over many applications wait for a missing id that may still be
committed: store/event_stream.py); without it the stream starts with the events kept so far. The data
is the event document of `vessel events -o json`, redacted like every answer; over many applications it
also names the event's `namespace` and `application`. Who may see what is judged again at every poll,
so a caller removed from a project stops getting its events at once (a namespace stream then ends),
and every `RECHECK_S` the caller's token and the route's rule are judged again: a revoked or expired
token, or a member removed, ends any stream within that time. A
comment line is sent when nothing happened for a while, so proxies keep the connection; the stream ends
when the client goes or the server stops (SIGTERM does not wait for streams).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.permissions import authorize, still_allowed, visible_namespaces
from vessel.controller.views import rfc3339
from vessel.errors import ValidationError
from vessel.model.redaction import redact_data
from vessel.store.event_stream import AppEvent, all_events_after, events_after
from vessel.store.records import Event

router = APIRouter(prefix="/api/v1", tags=["events"], dependencies=[Depends(authorize)])
POLL_S = 0.25  # how often the store is asked for new events
KEEPALIVE_S = 15.0  # a comment line after this long without an event
RECHECK_S = 2.0  # how often a stream's caller is judged again (token, membership)
BATCH = 200
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
LastEventId = Annotated[str | None, Header(description="Resume after this event id.")]

# One poll: the frames to send, the id to go on after, whether the store had more, whether to go on.
Poll = tuple[list[str], int, bool, bool]


@router.get(
    "/namespaces/{namespace}/applications/{name}/events/stream",
    summary="An application's events as they happen (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def stream_events(
    request: Request, namespace: str, name: str, last_event_id: LastEventId = None
) -> StreamingResponse:
    state = state_of(request)
    app = await run_in_threadpool(state.controller().find, namespace, name)

    async def poll(after: int) -> Poll:
        batch = await run_in_threadpool(events_after, state.store, app.id, after, BATCH)
        last = batch[-1].id if batch else after
        return [_frame(e, _document(e)) for e in batch], last, len(batch) == BATCH, True

    return _response(request, _resume_after(last_event_id), poll)


@router.get(
    "/namespaces/{namespace}/events/stream",
    summary="A namespace's events as they happen (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def stream_namespace_events(
    request: Request, namespace: str, last_event_id: LastEventId = None
) -> StreamingResponse:
    return _response(request, _resume_after(last_event_id), _many(request, namespace))


@router.get(
    "/events/stream",
    summary="Every event the caller may see, as it happens (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def stream_all_events(request: Request, last_event_id: LastEventId = None) -> StreamingResponse:
    return _response(request, _resume_after(last_event_id), _many(request, None))


def _many(request: Request, namespace: str | None) -> Callable[[int], Awaitable[Poll]]:
    """Polls over every application's events, keeping those in `namespace` (None: any) that the
    caller may see now."""
    state, user = state_of(request), request.state.caller

    def read(after: int) -> tuple[list[AppEvent], frozenset[str] | None]:
        batch = all_events_after(state.store, after, BATCH, state.clock.now())
        return batch, visible_namespaces(request, user)

    async def poll(after: int) -> Poll:
        batch, visible = await run_in_threadpool(read, after)
        if namespace is not None and visible is not None and namespace not in visible:
            return [], after, False, False  # no longer theirs: the stream ends
        shown = [
            e
            for e in batch
            if e.namespace is not None
            and (namespace is None or e.namespace == namespace)
            and (visible is None or e.namespace in visible)
        ]
        frames = [
            _frame(e.event, {**_document(e.event), "namespace": e.namespace, "application": e.name})
            for e in shown
        ]
        last = batch[-1].event.id if batch else after
        return frames, last, len(batch) == BATCH, True

    return poll


def _response(request: Request, after: int, poll: Callable[[int], Awaitable[Poll]]) -> StreamingResponse:
    return StreamingResponse(_events(request, after, poll), media_type="text/event-stream", headers=HEADERS)


def _resume_after(last_event_id: str | None) -> int:
    if last_event_id is None:
        return 0
    if not last_event_id.strip().isdigit():
        raise ValidationError(f"Last-Event-ID: {last_event_id!r} is not an event id this server sent")
    return int(last_event_id)


async def _events(request: Request, after: int, poll: Callable[[int], Awaitable[Poll]]) -> AsyncIterator[str]:
    """The frames; a client that goes away ends it (the response cancels it on disconnect), and so does
    a token revoked or expired, or a caller no longer allowed, since (judged every RECHECK_S)."""
    state = state_of(request)
    yield "retry: 2000\n\n"
    quiet, checked = 0.0, time.monotonic()
    while not state.stopping.is_set():
        if time.monotonic() - checked >= RECHECK_S:
            if not await run_in_threadpool(still_allowed, request):
                return
            checked = time.monotonic()
        frames, after, more, going_on = await poll(after)
        if not going_on:
            return
        for frame in frames:
            yield frame
        quiet = 0.0 if frames else quiet + POLL_S
        if quiet >= KEEPALIVE_S:
            yield ": still here\n\n"
            quiet = 0.0
        if not more:
            await asyncio.sleep(POLL_S)


def _document(event: Event) -> dict[str, Any]:
    return {"time": rfc3339(event.at), "type": event.type, "reason": event.reason, "message": event.message}


def _frame(event: Event, doc: dict[str, Any]) -> str:
    return f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(redact_data(doc))}\n\n"
