"""`POST /applications/{namespace}/{name}/workflow/{operation}`: the application page's buttons — suspend,
resume (approve), terminate, restart, rollback (`revision` in the form: its number; default the one
before) — calling the controller functions the API's workflow routes call, with the same permissions
(api/permissions.py: resume is `workflow.approve`, the others `workflow.operate`). Each answers with a
redirect to the application's page (303), where the run is seen going on — or, sent by the page's
script (htmx), with 204: the page's live stream shows the effect without reloading."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.controller.controller import Controller
from vessel.dashboard.session import form_of, page_user
from vessel.errors import ValidationError
from vessel.store.records import AppRecord

PREFIX = "/applications/{namespace}/{name}/workflow"
router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(page_user)])
Operation = Callable[[Controller, AppRecord], object]


async def _operate(request: Request, namespace: str, name: str, operation: Operation) -> Response:
    ctl = state_of(request).controller()
    await run_in_threadpool(lambda: operation(ctl, ctl.find(namespace, name)))
    if request.headers.get("hx-request"):  # the page's script sent it: the live stream shows the effect
        return Response(status_code=204)
    return RedirectResponse(f"/applications/{namespace}/{name}", status_code=303)


@router.post("/suspend")
async def suspend(request: Request, namespace: str, name: str) -> Response:
    return await _operate(request, namespace, name, Controller.suspend)


@router.post("/resume")
async def resume(request: Request, namespace: str, name: str) -> Response:
    return await _operate(request, namespace, name, Controller.resume)


@router.post("/terminate")
async def terminate(request: Request, namespace: str, name: str) -> Response:
    return await _operate(request, namespace, name, Controller.terminate)


@router.post("/restart")
async def restart(request: Request, namespace: str, name: str) -> Response:
    return await _operate(request, namespace, name, Controller.restart)


@router.post("/rollback")
async def rollback(request: Request, namespace: str, name: str) -> Response:
    wanted = (await form_of(request)).get("revision", "").strip()
    if wanted and not wanted.isdigit():
        raise ValidationError(f"revision: {wanted!r} is not a revision number")
    number = int(wanted) if wanted else None
    return await _operate(request, namespace, name, lambda ctl, app: ctl.rollback(app, number))
