"""`GET /definitions`: the definitions catalog (built-ins, plugins, addons, VESSEL_DEFINITIONS), by kind;
`GET /definitions/{name}[?kind=…]`: one definition — what it is, its parameters as a table from its JSON
Schema (as `vessel def show`), example properties made from the schema (its required fields, defaults
and first choices), and what it renders with them for Kubernetes, as a preview of what it makes: the
function the API's `POST /api/v1/definitions/render` and `vessel def render` call.

A component is rendered as the only component of a sample application, a trait on a sample
Deployment; policies and workflow steps have no resources of their own to preview, so their example is
their properties."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.state import ServerState
from vessel.controller.authoring import rendered
from vessel.controller.views import definition, definition_list, find_definition
from vessel.dashboard.schema_form import example
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.definitions.definition import Definition, Kind
from vessel.errors import NotFoundError, UnknownTypeError, VesselError
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)
KINDS = (Kind.COMPONENT, Kind.TRAIT, Kind.POLICY, Kind.WORKFLOW_STEP)


@router.get("/definitions", response_class=HTMLResponse)
def catalog(request: Request, user: Annotated[UserRecord, Depends(page_user)], q: str = "") -> HTMLResponse:
    listed = definition_list(state_of(request).registry.all())
    wanted = q.strip().lower()
    found = [
        d for d in listed if not wanted or wanted in d["name"].lower() or wanted in d["description"].lower()
    ]
    groups = [(k, sorted((d for d in found if d["kind"] == k.value), key=lambda d: d["name"])) for k in KINDS]
    return page(request, "definitions.html", groups=groups, q=q, total=len(found))


@router.get("/definitions/{name}", response_class=HTMLResponse)
async def definition_page(
    request: Request, name: str, user: Annotated[UserRecord, Depends(page_user)], kind: str | None = None
) -> HTMLResponse:
    state = state_of(request)
    try:
        found = find_definition(state.registry, name, kind)
    except UnknownTypeError as exc:  # a name in a path that names nothing: 404, as the API answers
        raise NotFoundError(exc.message, hint=exc.hint) from None
    shown = await run_in_threadpool(preview, state, found)
    return page(request, "definition.html", d=definition(found), kind=found.kind, **shown)


def preview(state: ServerState, d: Definition) -> dict[str, Any]:
    """The example properties (as YAML) and what the definition renders with them — the API's
    `POST /api/v1/definitions/render` (`controller.authoring.rendered`) — or why it does not render."""
    props = example(d.parameters.schema) or {}
    text = _dump(props) if props else ""
    if d.kind not in (Kind.COMPONENT, Kind.TRAIT):  # built into the engine: nothing of its own to render
        return {"example": text, "rendered": None, "render_error": ""}
    if d.refused:
        return {"example": text, "rendered": None, "render_error": d.refused}
    try:
        items = rendered(state.registry, d, props)["items"]
    except VesselError as exc:
        return {"example": text, "rendered": None, "render_error": exc.render()}
    return {"example": text, "rendered": [_dump(i) for i in items], "render_error": ""}


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True)
