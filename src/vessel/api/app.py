"""The FastAPI application of `vessel server`: routes, and every error as problem+json.

OpenAPI 3 is served at `/openapi.json` and the interactive docs at `/docs`. A VesselError becomes the
status its class says (api/problems.py); FastAPI's own request validation (a query parameter out of
range) becomes 422 with each problem's path; anything else is a 500 that says no more than that (the
cause goes to the server's log, not to the caller).

What else the server serves comes from `vessel.server` entry points, each called with the app: Vessel's
own dashboard is one (vessel/dashboard/site.py), a layer above this one that this module never imports.
"""

from __future__ import annotations

import logging
from importlib import metadata

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from vessel import __version__
from vessel.api import (
    addons,
    applications,
    audit,
    definitions,
    events,
    logs,
    probes,
    projects,
    revisions,
    stats,
    targets,
    workflow_ops,
)
from vessel.api.auth import ApiProblem
from vessel.api.problems import from_error as problem_from_error
from vessel.api.problems import problem
from vessel.api.responses import RedactedJSONResponse
from vessel.api.state import ServerState
from vessel.errors import VesselError

log = logging.getLogger("vessel.server")
PLUGINS = "vessel.server"  # entry points: callables given the app to add routes to (after the API's)


def create_app(state: ServerState) -> FastAPI:
    app = FastAPI(
        title="Vessel",
        version=__version__,
        description="Deliver Open Application Model applications: the API of `vessel server`.",
        default_response_class=RedactedJSONResponse,
    )
    app.state.vessel = state
    app.include_router(probes.router)
    app.include_router(applications.router)
    app.include_router(workflow_ops.router)
    app.include_router(revisions.router)
    app.include_router(targets.readers)
    app.include_router(targets.admins)
    app.include_router(definitions.router)
    app.include_router(addons.router)
    app.include_router(events.router)
    app.include_router(logs.router)
    app.include_router(stats.router)
    app.include_router(audit.router)
    app.include_router(projects.router)
    app.add_middleware(audit.AuditChanges)
    app.add_exception_handler(VesselError, _vessel_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    for plugin in metadata.entry_points(group=PLUGINS):  # the dashboard (vessel.dashboard.site)
        plugin.load()(app)
    return app


async def _vessel_error(request: Request, exc: Exception) -> RedactedJSONResponse:
    assert isinstance(exc, VesselError)
    return problem_from_error(exc)


async def _api_problem(request: Request, exc: Exception) -> RedactedJSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem(exc.status, exc.detail, retry_after=exc.retry_after)


async def _invalid_request(request: Request, exc: Exception) -> RedactedJSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": ".".join(str(p) for p in e.get("loc", ())), "line": None, "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    return problem(422, f"{len(problems)} problem(s) in the request", problems)


async def _http_error(request: Request, exc: Exception) -> RedactedJSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> RedactedJSONResponse:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return problem(500, "the server failed to answer; its log says why")
