"""`/api/v1/namespaces/{namespace}/applications/{name}/workflow/{operation}`: suspend, resume (which
also approves a deploy step with `auto: false`), terminate, restart and rollback — the controller
functions `vessel workflow …` calls. Nothing waits: each answers 202 with the application's status
document as the operation left it, and the server's controller loop drives the run from there.
Restart and rollback run a revision again, so they are refused (403) like an apply when that revision
would deliver to a target the application's project may no longer use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from vessel.api.auth import state_of
from vessel.api.permissions import authorize, check_targets
from vessel.api.responses import RedactedJSONResponse
from vessel.controller.controller import Controller
from vessel.controller.placement import targets_of
from vessel.controller.status import status_of
from vessel.store.records import AppRecord

router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}/applications/{name}/workflow",
    tags=["workflow"],
    dependencies=[Depends(authorize)],  # api/permissions.py
)
ACCEPTED = 202


def _answer(
    request: Request, namespace: str, name: str, operation: Callable[[Controller, AppRecord], object]
) -> RedactedJSONResponse:
    ctl = state_of(request).controller()
    operation(ctl, ctl.find(namespace, name))
    return RedactedJSONResponse(status_of(ctl, ctl.find(namespace, name)), status_code=ACCEPTED)


@router.post("/suspend", status_code=ACCEPTED, summary="Pause the running workflow")
def suspend(request: Request, namespace: str, name: str) -> RedactedJSONResponse:
    return _answer(request, namespace, name, Controller.suspend)


@router.post("/resume", status_code=ACCEPTED, summary="Resume (approve) a suspended workflow")
def resume(request: Request, namespace: str, name: str) -> RedactedJSONResponse:
    return _answer(request, namespace, name, Controller.resume)


@router.post("/terminate", status_code=ACCEPTED, summary="Stop the workflow for good")
def terminate(request: Request, namespace: str, name: str) -> RedactedJSONResponse:
    return _answer(request, namespace, name, Controller.terminate)


@router.post("/restart", status_code=ACCEPTED, summary="Run the current revision's workflow again")
def restart(request: Request, namespace: str, name: str) -> RedactedJSONResponse:
    def checked_restart(ctl: Controller, app: AppRecord) -> object:
        check_targets(request, namespace, name, targets_of(ctl, app.id, app.revision))
        return ctl.restart(app)

    return _answer(request, namespace, name, checked_restart)


@router.post("/rollback", status_code=ACCEPTED, summary="Deliver an earlier revision again")
def rollback(
    request: Request,
    namespace: str,
    name: str,
    revision: Annotated[
        str | None, Query(description="Its number or its publishVersion (default: the one before).")
    ] = None,
) -> RedactedJSONResponse:
    def checked_rollback(ctl: Controller, app: AppRecord) -> object:
        number = ctl.rollback_revision(app, revision)
        check_targets(request, namespace, name, targets_of(ctl, app.id, number))
        return ctl.rollback(app, number)

    return _answer(request, namespace, name, checked_rollback)
