"""`GET /definitions`: the definitions catalog (built-ins, plugins, addons, VESSEL_DEFINITIONS), by kind;
`GET /definitions/{name}[?kind=…]`: one definition — what it is, its parameters as a table from its JSON
Schema (as `vessel def show`), an example made from the schema (its required fields, defaults and first
choices), and that example rendered for Kubernetes (the API's dry-run) as a preview of what it makes.

A component is previewed as an Application of that one component; a trait attached to a `webservice`
component; policies and workflow steps have no resources of their own to preview, so their example is
their properties."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.applications import dry_run_text
from vessel.api.auth import state_of
from vessel.api.state import ServerState
from vessel.controller.views import definition, definition_list, find_definition
from vessel.dashboard.schema_form import example
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.definitions.definition import Definition, Kind
from vessel.errors import NotFoundError, UnknownTypeError, VesselError
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)
KINDS = (Kind.COMPONENT, Kind.TRAIT, Kind.POLICY, Kind.WORKFLOW_STEP)
HOST = {"name": "example", "type": "webservice", "properties": {"image": "nginx:1.27"}}  # a trait's


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


def example_application(d: Definition) -> dict[str, Any] | None:
    """An Application using `d` with the properties its schema's example makes (None: a policy or a
    workflow step, which deliver nothing of their own)."""
    props = example(d.parameters.schema) or {}
    if d.kind == Kind.COMPONENT:
        component: dict[str, Any] = {"name": "example", "type": d.name, "properties": props}
    elif d.kind == Kind.TRAIT:
        component = {**HOST, "traits": [{"type": d.name, "properties": props}]}
    else:
        return None
    return {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "example", "namespace": "default"},
        "spec": {"components": [component]},
    }


def preview(state: ServerState, d: Definition) -> dict[str, Any]:
    """The example (as YAML) and what it renders to, or why it does not render."""
    app = example_application(d)
    props = example(d.parameters.schema) or {}
    if app is None:
        return {"example": _dump(props) if props else "", "rendered": None, "render_error": ""}
    text = _dump(app)
    if d.refused:
        return {"example": text, "rendered": None, "render_error": d.refused}
    try:
        items = dry_run_text(state, text, None)["items"]
    except VesselError as exc:
        return {"example": text, "rendered": None, "render_error": exc.render()}
    return {"example": text, "rendered": [_dump(i) for i in items], "render_error": ""}


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True)
