"""The dashboard, served by `vessel server` at `/` beside the API: its routes, its static files, and
its errors as pages.

`mount` is Vessel's own `vessel.server` plugin (pyproject.toml's entry points): `api/app.py` calls every
such plugin with the app it built, so the API never imports the dashboard, which sits above it and
calls the same controller functions through the same permission table (api/permissions.py ROUTES:
every dashboard route has its rule there, and `session.page_user` runs `authorize` on it).

Errors on a dashboard path are pages (the API's stay problem+json): a page without a session
redirects to the sign-in page, a refusal or a missing application is its status with the reason.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from vessel.api.auth import ApiProblem
from vessel.api.problems import TITLES, status_of_error
from vessel.dashboard import (
    actions,
    addons_page,
    app_list,
    app_page,
    audit_page,
    catalog,
    editor,
    form_page,
    logs_page,
    overview,
    revisions_page,
    signing,
    targets_page,
)
from vessel.dashboard.session import SignInNeeded, clear_session
from vessel.dashboard.templates import page
from vessel.errors import VesselError

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
NOT_PAGES = ("/api/", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/redoc")


def mount(app: FastAPI) -> None:
    for module in (signing, overview, app_list, app_page, revisions_page, logs_page, actions):
        app.include_router(module.router)
    for module in (editor, form_page, targets_page, catalog, addons_page, audit_page):
        app.include_router(module.router)
    static = resources.files("vessel.dashboard") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_exception_handler(SignInNeeded, _sign_in_first)
    for error in (VesselError, ApiProblem, RequestValidationError, HTTPException):
        app.add_exception_handler(error, _pages_or(app.exception_handlers[error]))


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    response: Response
    if request.headers.get("hx-request") or request.url.path.endswith("/live"):
        response = Response(status_code=401, headers={"HX-Redirect": "/sign-in"})  # a script, not a person
    else:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
    if isinstance(exc, SignInNeeded) and exc.stale:
        clear_session(response)
    return response


def _pages_or(api_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        status, detail = _status_and_detail(exc)
        title = TITLES.get(status, "Error")
        response = page(
            request, "problem.html", http_status=status, status=status, title=title, detail=detail
        )
        if isinstance(exc, ApiProblem) and exc.retry_after is not None:
            response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response

    return handle


def _status_and_detail(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, VesselError):
        return status_of_error(exc), exc.render()
    if isinstance(exc, ApiProblem):
        return exc.status, exc.detail
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    if isinstance(exc, RequestValidationError):
        wrong = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()
        )
        return 422, wrong
    return 500, "the server failed to answer; its log says why"
