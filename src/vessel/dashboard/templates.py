"""The pages' templates: Jinja2 with autoescaping always on (every value is text, never markup) and every
value shown through `redaction.redact` (a secret this process knows is masked in any field), loaded
from the package, with what every page shows — who is signed in, the projects they may switch to, the
CSRF token of their forms — filled in once here."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from vessel import __version__
from vessel.api.auth import state_of
from vessel.dashboard.session import csrf_for
from vessel.model.redaction import redact
from vessel.store.accounts import UserRecord
from vessel.store.projects import Projects

NAV = (  # (label, path): the header's links, in order
    ("Overview", "/"),
    ("Applications", "/applications"),
    ("Targets", "/targets"),
    ("Definitions", "/definitions"),
    ("Addons", "/addons"),
    ("Audit", "/audit"),
)

# Every page: never cached (it shows one user's view), never framed by another site (no click-jacking a
# confirmation), scripts only from this site, no referrer sent elsewhere. htmx adds one <style> element.
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

ENV = Environment(
    loader=PackageLoader("vessel.dashboard", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=lambda value: redact(value) if isinstance(value, str) else value,  # no secret, in any field
)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _when(epoch: float | None) -> str:
    return "" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


ENV.filters["duration"] = _duration
ENV.filters["when"] = _when


def my_projects(request: Request, user: UserRecord) -> list[str]:
    """The projects the caller may switch to: every one for an admin, else those they are a member of."""
    projects = Projects(state_of(request).store)
    if user.admin:
        return sorted(p.name for p in projects.all())
    return sorted(projects.roles_of(user.id))


def page(request: Request, template: str, *, http_status: int = 200, **context: Any) -> HTMLResponse:
    """`template` rendered with `context` and what every page shows."""
    user: UserRecord | None = getattr(request.state, "caller", None)
    session: str | None = getattr(request.state, "session", None)
    common = {
        "request": request,
        "user": user,
        "nav": NAV,
        "version": __version__,
        "projects": my_projects(request, user) if user is not None else [],
        "project": request.query_params.get("project", ""),
        "csrf": csrf_for(session) if session else "",
    }
    html = ENV.get_template(template).render({**common, **context})
    return HTMLResponse(html, status_code=http_status, headers=HEADERS)


def fragment(template: str, **context: Any) -> str:
    """A part of a page (the workflow graph, the timeline), as the live stream sends it."""
    return ENV.get_template(template).render(context)
