"""`GET …/applications/{name}/logs`: what an application's workloads printed, as `vessel logs` prints it
— the same options (`component`, `tail`, `since` in seconds, `timestamps`, `follow`), read from the
targets by the same controller functions — streamed as one JSON object per line, `{"component",
"line"}`, each redacted like every answer.

Errors found before the first line (no such application, no workload) are problem+json as usual; a
target that fails midway ends the stream with `{"error": MESSAGE}`. A followed log goes on until every
workload's log ends, the client goes away or the server stops; while nothing is written, a blank line is
sent every `HEARTBEAT_S`, so a client (and a proxy) can tell a quiet log from a dead connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.permissions import authorize
from vessel.controller.logs import Line, LogOptions, in_turn, log_streams, merged
from vessel.errors import VesselError
from vessel.model.redaction import redact_data

router = APIRouter(prefix="/api/v1", tags=["logs"], dependencies=[Depends(authorize)])
HEARTBEAT_S = 10.0
MEDIA_TYPE = "application/x-ndjson"


@router.get(
    "/namespaces/{namespace}/applications/{name}/logs",
    summary="Logs (vessel logs), one JSON object per line",
    response_class=StreamingResponse,
)
async def logs(
    request: Request,
    namespace: str,
    name: str,
    component: Annotated[str | None, Query(description="Only this component's workload.")] = None,
    tail: Annotated[int | None, Query(ge=0, description="The last N lines of each instance.")] = None,
    since: Annotated[float | None, Query(gt=0, description="Only lines of the last N seconds.")] = None,
    timestamps: Annotated[bool, Query(description="Head each line with its time (RFC 3339).")] = False,
    follow: Annotated[bool, Query(description="Keep streaming new lines.")] = False,
) -> StreamingResponse:
    state = state_of(request)
    ctl = state.controller()
    app = await run_in_threadpool(ctl.find, namespace, name)
    options = LogOptions(tail, since, timestamps, follow)
    streams = await run_in_threadpool(log_streams, ctl, app, component, options)
    gone = threading.Event()  # the client went away, or the stream ended: every follow stops

    def stopped() -> bool:
        return gone.is_set() or state.stopping.is_set()

    lines = merged(streams, stopped=stopped, heartbeat=HEARTBEAT_S) if follow else in_turn(streams)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_ndjson(lines, gone), media_type=MEDIA_TYPE, headers=headers)


async def _ndjson(lines: Iterator[Line | None], gone: threading.Event) -> AsyncIterator[str]:
    try:
        async for item in iterate_in_threadpool(lines):
            if item is None:
                yield "\n"
            else:
                yield json.dumps(redact_data({"component": item[0], "line": item[1]})) + "\n"
    except VesselError as exc:
        yield json.dumps(redact_data({"error": exc.render()})) + "\n"
    finally:
        gone.set()
