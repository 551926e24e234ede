"""`/healthz` (the process answers), `/readyz` (the store answers and its schema is current) and
`/metrics` (Prometheus text; open unless the server was started with `--metrics-token`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from vessel.api.auth import bearer, caller, state_of
from vessel.api.metrics import CONTENT_TYPE
from vessel.api.problems import problem
from vessel.api.responses import RedactedJSONResponse
from vessel.errors import StoreUnavailableError

router = APIRouter(tags=["probes"])
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@router.get("/healthz", summary="Alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready: store reachable, migrations current", response_model=None)
def readyz(request: Request) -> RedactedJSONResponse | dict[str, str]:
    try:
        current = state_of(request).store.schema_current()
    except StoreUnavailableError as exc:
        return problem(503, f"store unavailable: {exc.render()}")
    if not current:
        return problem(503, "the store's schema is not at this Vessel's newest migration")
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request, credentials: Credentials) -> Response:
    state = state_of(request)
    if state.settings.metrics_need_token:
        caller(request, credentials)
    return Response(state.metrics.text(), media_type=CONTENT_TYPE)
