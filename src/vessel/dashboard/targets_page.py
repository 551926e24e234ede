"""`GET /targets`: every target — its type, labels, whether it is the default, whether it answers now
and its version (asked as `vessel target list` asks, in parallel) — with the applications delivered
there that the caller may see (those of projects they are no member of are left out, as the
applications list leaves them out)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.permissions import visible_namespaces
from vessel.controller.targets import target_list
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.store.accounts import UserRecord
from vessel.store.app_targets import targets_by_app
from vessel.store.records import AppRecord

router = APIRouter(include_in_schema=False)


def rows(request: Request, user: UserRecord) -> list[dict[str, Any]]:
    state = state_of(request)
    visible = visible_namespaces(request, user)
    delivered: dict[str, list[AppRecord]] = defaultdict(list)
    apps = {a.id: a for a in state.store.apps()}
    for app_id, names in targets_by_app(state.store).items():
        for name in names:
            if app_id in apps:
                delivered[name].append(apps[app_id])
    found = []
    for row in target_list(state.controller()):
        there = sorted(delivered[row["name"]], key=lambda a: (a.namespace, a.name))
        found.append({**row, "apps": [a for a in there if visible is None or a.namespace in visible]})
    return found


@router.get("/targets", response_class=HTMLResponse)
async def targets(request: Request, user: Annotated[UserRecord, Depends(page_user)]) -> HTMLResponse:
    return page(request, "targets.html", targets=await run_in_threadpool(rows, request, user))
