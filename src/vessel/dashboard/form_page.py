"""`GET /applications/form?type=T`: a form generated from component definition T's parameter schema
(schema_form.py), with the application's name and namespace; `POST /applications/form` turns the answers
into the Application's YAML and shows it in the editor (editor.py), where it is checked as you type and
applied. Wrong answers show the form again, each problem naming its field; "add an item" shows it
again with one more row in that list.

The form changes nothing (its POST only carries the answers, which may hold values meant to stay out
of addresses and logs); applying is the editor's, with its own permission check."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from vessel.api.auth import state_of
from vessel.dashboard.editor import editor
from vessel.dashboard.schema_form import GROW, properties, widgets
from vessel.dashboard.session import form_of, page_user
from vessel.dashboard.templates import page
from vessel.definitions.definition import Definition, Kind
from vessel.errors import MultipleErrors, NotFoundError, ValidationError, VesselError
from vessel.model.kube_names import dns_label
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)
DEFAULT_TYPE = "webservice"


def component_definition(request: Request, name: str) -> Definition:
    found = state_of(request).registry.find(Kind.COMPONENT, name)
    if found is None or found.refused:
        raise NotFoundError(f"type: no component definition named {name!r}", hint="see /definitions")
    return found


def _form(
    request: Request, d: Definition, answers: dict[str, str], problems: list[str], status: int = 200
) -> HTMLResponse:
    registry = state_of(request).registry
    return page(
        request,
        "form.html",
        http_status=status,
        definition=d,
        widgets=widgets(d.parameters.schema),
        answers=answers,
        submitted="type" in answers,  # a checkbox left out of answers sent is off, not its default
        problems=problems,
        types=sorted(c.name for c in registry.all(Kind.COMPONENT) if not c.refused),
    )


@router.get("/applications/form", response_class=HTMLResponse)
def form(
    request: Request, user: Annotated[UserRecord, Depends(page_user)], type: str = DEFAULT_TYPE
) -> HTMLResponse:
    return _form(request, component_definition(request, type), {"name": "", "namespace": "default"}, [])


@router.post("/applications/form", response_class=HTMLResponse)
async def generate(request: Request, user: Annotated[UserRecord, Depends(page_user)]) -> HTMLResponse:
    answers = await form_of(request)
    d = component_definition(request, answers.get("type", DEFAULT_TYPE))
    if answers.get(GROW):  # "add an item": the same form, with one more row in that list
        return _form(request, d, answers, [])
    try:
        text = application_yaml(d, answers)
    except VesselError as exc:
        errors = exc.errors if isinstance(exc, MultipleErrors) else (exc,)
        return _form(request, d, answers, [e.render() for e in errors], status=422)
    return editor(request, text, heading=f"New {d.name} application")


def application_yaml(d: Definition, answers: dict[str, str]) -> str:
    """The Application the answers describe: one component of type `d`, its properties from the form."""
    found: list[VesselError] = []
    names: dict[str, str] = {}
    for field in ("name", "namespace"):
        value = answers.get(field, "").strip()
        problem = dns_label(value) if value else "is required"
        if problem:
            found.append(ValidationError(f"metadata.{field}: {problem}"))
        names[field] = value
    try:
        props = properties(widgets(d.parameters.schema), answers)
    except MultipleErrors as exc:
        found += exc.errors
    except VesselError as exc:
        found.append(exc)
    if found:
        raise found[0] if len(found) == 1 else MultipleErrors(found)
    return _dump(d.name, names["name"], names["namespace"], props)


def _dump(type_: str, name: str, namespace: str, props: dict[str, Any]) -> str:
    component: dict[str, Any] = {"name": name, "type": type_}
    if props:
        component["properties"] = props
    document = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"components": [component]},
    }
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True)
