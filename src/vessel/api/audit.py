"""Every change through the API goes to the audit log — who (the token's user), what (method and
route), on what (namespace/name, or what an apply stored), when, and the outcome (the HTTP status,
refusals included). Recorded in one place, a middleware around every non-reading request — the API's
and the dashboard's buttons alike — not per handler; a route that changes something is audited by
being a POST, PUT, PATCH or DELETE. `GET /api/v1/audit` shows the log to admins.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.permissions import authorize
from vessel.api.state import ServerState
from vessel.controller import audit

log = logging.getLogger("vessel.server")
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POST only to send a body; or audited as what they do (a dashboard sign-in creates a token, a sign-out
# revokes it: controller/accounts.py records both)
NOT_AUDITED = frozenset({"/api/v1/dry-run", "/sign-in", "/sign-out"})
NOT_AUDITED |= {"/api/v1/definitions/render", "/api/v1/definitions/vet"}  # dry-runs of definitions
NOT_AUDITED |= {"/applications/validate", "/applications/form"}  # the dashboard's dry-run; form -> YAML
ANONYMOUS = "-"


router = APIRouter(prefix="/api/v1", tags=["audit"], dependencies=[Depends(authorize)])


@router.get("/audit", summary="The audit log (admins)")
def audit_log(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_ENTRIES)] = 100,
    before: Annotated[int | None, Query(description="Only entries older than this id.")] = None,
) -> list[dict[str, Any]]:
    """The most recent changes, oldest first."""
    return audit.audit_list(state_of(request).store, limit, before)


async def audit_changes(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    path = request.url.path
    if request.method in CHANGING and path not in NOT_AUDITED:
        await run_in_threadpool(_record, state_of(request), request, response.status_code)
    return response


def _record(state: ServerState, request: Request, status: int) -> None:
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', request.url.path)}"
    actor = getattr(request.state, "user", ANONYMOUS)
    try:
        audit.record(state.store, state.clock.now(), actor, action, _object(request), str(status))
    except Exception as exc:  # the change happened: a log that cannot be written must not hide it
        log.error("audit: cannot record %s by %s (%s): %s", action, actor, status, exc)


def _object(request: Request) -> str:
    stored = getattr(request.state, "audit_object", None)
    if stored:
        return str(stored)
    params = request.scope.get("path_params") or {}
    if "namespace" in params and "name" in params:
        return f"{params['namespace']}/{params['name']}"
    if "project" in params:  # a membership change refused before its body was read: the project at least
        return "/".join(str(params[k]) for k in ("project", "user") if k in params)
    return ""
