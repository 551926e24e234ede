"""`GET /applications/{namespace}/{name}`: one application — its phase and the buttons the caller may use,
its latest run's workflow as a graph (graph.py) with each step's details, its recent runs, its
components with their resources, instances and endpoints, and its event timeline.

`GET …/live` streams the parts that change as the run goes on (Server-Sent Events, one event per part
— `summary`, `workflow`, `timeline` — carrying that part as HTML, sent when it changed), which the
page swaps in without reloading (htmx's SSE extension); without script the page is read as it is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.permissions import may
from vessel.controller import driving
from vessel.controller.status import status_of
from vessel.controller.views import event_list
from vessel.dashboard.graph import graph
from vessel.dashboard.session import csrf_for, page_user, still_allowed
from vessel.dashboard.templates import fragment, page
from vessel.errors import VesselError
from vessel.store.accounts import UserRecord
from vessel.store.delivery_history import run_facts
from vessel.store.records import AppRecord, RunPhase, RunRecord

APP = "/applications/{namespace}/{name}"
router = APIRouter(prefix=APP, include_in_schema=False)
LIVE_PARTS = ("summary", "workflow", "timeline")
POLL_S = 0.5
RECHECK_S = 10.0  # how often a stream asks again whether its caller may see it, and reads the components
KEEPALIVE_S = 15.0
EVENTS_SHOWN = 50
RUNS_SHOWN = 10


@dataclass(frozen=True)
class Allowed:
    """What the caller may do to the application's workflow (api/permissions.py): asked once per page,
    and by a live stream again each time it checks its caller."""

    operate: bool
    approve: bool


def allowed(request: Request, user: UserRecord, namespace: str) -> Allowed:
    return Allowed(
        may(request, user, namespace, "workflow.operate"), may(request, user, namespace, "workflow.approve")
    )


@dataclass(frozen=True)
class Buttons:
    """Which operations the caller may use on the run as it is now."""

    approve: bool
    suspend: bool
    terminate: bool
    restart: bool
    rollback: bool


def buttons(may_do: Allowed, app: AppRecord, run: RunRecord | None) -> Buttons:
    running = run is not None and not run.finished
    operate = may_do.operate
    return Buttons(
        approve=may_do.approve and run is not None and run.phase == RunPhase.SUSPENDING,
        suspend=operate and running and run is not None and run.phase != RunPhase.SUSPENDING,
        terminate=operate and running,
        restart=operate and app.revision >= 1,
        rollback=operate and app.revision > 1,
    )


def live_context(request: Request, may_do: Allowed, namespace: str, name: str) -> dict[str, Any]:
    """What the live parts show: read from the store only (no target is asked), so cheap to poll."""
    ctl = state_of(request).controller()
    app = ctl.find(namespace, name)
    run = ctl.store.latest_run(app.id)
    records = ctl.store.steps(run.id) if run is not None else {}
    now = ctl.clock.now()
    session: str | None = getattr(request.state, "session", None)
    return {
        "app": app,
        "view": driving.shown(app, run, records, now),
        "run": run,
        "graph": graph(run.steps, records, now) if run is not None else None,
        "events": list(reversed(event_list(ctl, app)))[:EVENTS_SHOWN],
        "runs": list(reversed(run_facts(ctl.store, app.id)))[:RUNS_SHOWN],
        "buttons": buttons(may_do, app, run),
        "csrf": csrf_for(session) if session else "",
        "base": f"/applications/{namespace}/{name}",
    }


def context(request: Request, user: UserRecord, namespace: str, name: str) -> dict[str, Any]:
    """What the page shows: the live parts, and the components as the targets report them."""
    shown = live_context(request, allowed(request, user, namespace), namespace, name)
    ctl = state_of(request).controller()
    status = status_of(ctl, shown["app"], instances=True)
    return {**shown, "status": status, "components": components(status)}


def components(status: dict[str, Any]) -> list[dict[str, Any]]:
    """Each component with its services (per target) and its resources (with their instances)."""
    names = list(
        dict.fromkeys(
            [s["component"] for s in status["services"]]
            + [r["component"] for r in status["resources"] if not r["component"].startswith("step:")]
        )
    )
    return [
        {
            "name": n,
            "services": [s for s in status["services"] if s["component"] == n],
            "resources": [r for r in status["resources"] if r["component"] == n],
        }
        for n in names
    ]


@router.get("", response_class=HTMLResponse)
async def application(
    request: Request, namespace: str, name: str, user: Annotated[UserRecord, Depends(page_user)]
) -> HTMLResponse:
    shown = await run_in_threadpool(context, request, user, namespace, name)
    return page(request, "application.html", **shown)


@router.get("/live")
async def live(
    request: Request, namespace: str, name: str, user: Annotated[UserRecord, Depends(page_user)]
) -> StreamingResponse:
    await run_in_threadpool(state_of(request).controller().find, namespace, name)  # 404 before streaming
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _changes(request, user, namespace, name), media_type="text/event-stream", headers=headers
    )


async def _changes(request: Request, user: UserRecord, namespace: str, name: str) -> AsyncIterator[str]:
    """Each part again whenever it changed. Ends when the client goes, the server stops, the
    application is deleted or the caller may no longer see it (asked every RECHECK_S: a sign-out ends
    the streams of its pages). The components, which ask the targets, are read again only when the
    summary (phase, buttons) changed or every RECHECK_S."""
    state = state_of(request)
    sent: dict[str, str] = {}
    may_do = await run_in_threadpool(allowed, request, user, namespace)
    checked = time.monotonic()
    quiet = 0.0
    yield "retry: 2000\n\n"
    while not state.stopping.is_set():
        parts = await run_in_threadpool(_parts, request, may_do, namespace, name)
        if parts is None:
            return
        changed = {k: v for k, v in parts.items() if sent.get(k) != v}
        due = time.monotonic() - checked >= RECHECK_S
        if due:
            checked = time.monotonic()
            if not await run_in_threadpool(still_allowed, request):
                return
            may_do = await run_in_threadpool(allowed, request, user, namespace)
        if sent and ("summary" in changed or due):
            html = await run_in_threadpool(_components_part, request)
            if html is not None and html != sent.get("components"):
                changed["components"] = html
        for part, html in changed.items():
            yield sse(part, html)
        sent.update(changed)
        quiet = 0.0 if changed else quiet + POLL_S
        if quiet >= KEEPALIVE_S:
            yield ": still here\n\n"
            quiet = 0.0
        await asyncio.sleep(POLL_S)


def _parts(request: Request, may_do: Allowed, namespace: str, name: str) -> dict[str, str] | None:
    try:
        shown = live_context(request, may_do, namespace, name)
    except VesselError:  # deleted, or the store unreachable: the stream ends (the client retries)
        return None
    return {part: fragment(f"app_{part}.html", **shown) for part in LIVE_PARTS}


def _components_part(request: Request) -> str | None:
    namespace, name = request.path_params["namespace"], request.path_params["name"]
    ctl = state_of(request).controller()
    try:
        app = ctl.find(namespace, name)
        status = status_of(ctl, app, instances=True)
    except VesselError:
        return None
    return fragment("app_components.html", app=app, components=components(status))


def sse(event: str, html: str) -> str:
    data = "".join(f"data: {line}\n" for line in html.replace("\r", "").split("\n"))
    return f"event: {event}\n{data}\n"
