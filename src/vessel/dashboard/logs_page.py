"""`GET /applications/{namespace}/{name}/logs?component=NAME[&tail=N]`: the last lines of a component's
workload on each target (`vessel logs COMPONENT --tail N --timestamps`, from the same controller
function), each prefixed with the instance it came from. The page reads them again every two seconds
(htmx polls the page and swaps the lines in); without script, reload it. A component with nothing
delivered, or a target that keeps no logs, shows why instead of lines.
"""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.controller.logs import LogOptions, log_streams
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.errors import NotFoundError, VesselError
from vessel.store.accounts import UserRecord

router = APIRouter(prefix="/applications/{namespace}/{name}", include_in_schema=False)
DEFAULT_TAIL = 200
MAX_TAIL = 2000


def _logs(namespace: str, name: str, component: str, tail: int, request: Request) -> dict[str, Any]:
    ctl = state_of(request).controller()
    app = ctl.find(namespace, name)
    components = sorted({e.component for e in ctl.store.inventory(app.id) if not e.role} - {""})
    components = [c for c in components if not c.startswith("step:")]
    chosen = component or (components[0] if components else "")
    lines: list[str] = []
    problem = ""
    try:
        for _, stream in log_streams(ctl, app, chosen or None, LogOptions(tail=tail, timestamps=True)):
            lines += islice(stream, tail)  # not followed: each stream ends after its tail
    except NotFoundError as exc:
        problem = exc.render()
    except VesselError as exc:
        problem = f"the target cannot give logs now: {exc.render()}"
    return {
        "app": app,
        "components": components,
        "component": chosen,
        "tail": tail,
        "lines": lines[-tail:],
        "problem": problem,
        "base": f"/applications/{namespace}/{name}",
    }


@router.get("/logs", response_class=HTMLResponse)
async def logs(
    request: Request,
    namespace: str,
    name: str,
    user: Annotated[UserRecord, Depends(page_user)],
    component: str = "",
    tail: Annotated[int, Query(ge=1, le=MAX_TAIL)] = DEFAULT_TAIL,
) -> HTMLResponse:
    shown = await run_in_threadpool(_logs, namespace, name, component, tail, request)
    return page(request, "logs.html", **shown)
