"""Every change through the API goes to the audit log — who (the token's user), what (method and
route), on what (namespace/name, or what an apply stored), when, and the outcome (the HTTP status,
refusals included). Recorded in one place, a middleware around every non-reading request — the API's
and the dashboard's buttons alike — not per handler; a route that changes something is audited by
being a POST, PUT, PATCH or DELETE. `GET /api/v1/audit` shows the log to admins.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vessel.api.auth import state_of
from vessel.api.permissions import authorize
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


class AuditChanges:
    """The middleware, as plain ASGI: a reading request passes straight through (Starlette's
    `BaseHTTPMiddleware` would cost every request — the status reads too — a task group and a stream,
    about 40% of a trivial request's time). A change is recorded as its answer starts, before the client
    can read it, so whoever reads the log after an answer finds its entry; an answer that never started
    (the handler raised) is recorded as a 500."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        audited = scope["type"] == "http" and scope.get("method") in CHANGING and path not in NOT_AUDITED
        if not audited:
            await self.app(scope, receive, send)
            return
        recorded = False

        async def record_then_send(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                await run_in_threadpool(_record, scope, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, record_then_send)
        except BaseException:
            if not recorded:
                await run_in_threadpool(_record, scope, 500)
            raise


def _record(scope: Scope, status: int) -> None:
    request = Request(scope)
    state = state_of(request)
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
