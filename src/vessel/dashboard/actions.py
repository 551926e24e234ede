"""`POST /applications/{namespace}/{name}/workflow/{operation}`: the application page's buttons — suspend,
resume (approve), terminate, restart, rollback (`revision` in the form: its number; default the one
before) — calling the controller functions the API's workflow routes call, with the same permissions
(api/permissions.py: resume is `workflow.approve`, the others `workflow.operate`). Each answers with a
redirect to the application's page (303), where the run is seen going on — or, sent by the page's
script (htmx), with 204: the page's live stream shows the effect without reloading.

Every operation is confirmed before it is made: the page's script asks first and sends `confirmed=yes`;
a form sent without it (a browser without script) is answered with a page that asks, whose form sends
it. So nothing changes from one unconfirmed click, script or not."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.controller.controller import Controller
from vessel.dashboard.session import form_of, page_user
from vessel.dashboard.templates import page
from vessel.errors import ValidationError
from vessel.store.records import AppRecord

PREFIX = "/applications/{namespace}/{name}/workflow"
router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(page_user)])
Operation = Callable[[Controller, AppRecord], object]


QUESTIONS = {
    "suspend": "Suspend the workflow of {name}?",
    "resume": "Approve and resume the workflow of {name}?",
    "terminate": "Terminate the workflow of {name}? It cannot be resumed.",
    "restart": "Run the workflow of {name}'s current revision again?",
    "rollback": "Roll {name} back to revision {revision}?",
}


async def _operate(request: Request, namespace: str, name: str, operation: Operation) -> Response:
    form = await form_of(request)
    if form.get("confirmed") != "yes":
        return await _ask(request, namespace, name, form.get("revision", ""))
    ctl = state_of(request).controller()
    await run_in_threadpool(lambda: operation(ctl, ctl.find(namespace, name)))
    if request.headers.get("hx-request"):  # the page's script sent it: the live stream shows the effect
        return Response(status_code=204)
    return RedirectResponse(f"/applications/{namespace}/{name}", status_code=303)


async def _ask(request: Request, namespace: str, name: str, revision: str) -> Response:
    ctl = state_of(request).controller()
    app = await run_in_threadpool(ctl.find, namespace, name)  # 404 for one that is gone
    operation = request.url.path.rsplit("/", 1)[-1]
    shown_revision = revision or str(app.revision - 1)
    return page(
        request,
        "confirm.html",
        app=app,
        question=QUESTIONS[operation].format(name=name, revision=shown_revision),
        action=request.url.path,
        revision=revision,
        base=f"/applications/{namespace}/{name}",
    )


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
