"""`GET /addons`: every addon on offer or enabled — its versions, description, the version enabled, its
Application's phase, and the applications that use it (those the caller may see); `GET
/addons/{name}[?version=…]`: one addon — metadata, parameters, its README as text (escaped, never
markup) — and, for admins, Enable, Upgrade and Disable.

The buttons call the controller functions the API's addon routes call (`controller/addons.py`: enable,
upgrade, `disable_once_deleted`), under the same rules (api/permissions.py: `addon.read` to look,
`addon.admin` to change — admins only, so a forged POST by anyone else is 403), with the dashboard's
CSRF check. Each is confirmed first, as the workflow buttons are (`actions.py`): the page's script asks
and sends `confirmed=yes`; without script the server answers with a page that asks. Enabling takes the
addon's parameters from a form generated from its `parameters.schema.json` when every parameter is a
plain field (text, number, checkbox, choice: `schema_form.py`), else from a box of YAML (`key: value`)
or `key=value` lines, as `--set` takes them. A refusal — a parameter the addon refuses, a version
conflict, disabling an addon applications still use (naming them) — is shown on the addon's page.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vessel.addons.settings import parse_sets
from vessel.api.auth import state_of
from vessel.api.permissions import visible_namespaces
from vessel.api.problems import status_of_error
from vessel.controller import addons as operations
from vessel.dashboard import schema_form
from vessel.dashboard.session import form_of, page_user
from vessel.dashboard.templates import page
from vessel.errors import NotFoundError, ValidationError, VesselError
from vessel.model.yaml_source import read_text
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)
Caller = Annotated[UserRecord, Depends(page_user)]
SETTINGS = "settings"  # the form field of the YAML / key=value box
TARGET = "t."  # the prefix of each target's checkbox
KEY_VALUE = re.compile(r"^[A-Za-z0-9_.-]+=")
QUESTIONS = {
    "enable": "Enable addon {name}{version}?",
    "upgrade": "Upgrade addon {name} to {version}?",
    "disable": "Disable addon {name}? Its own Application is deleted.",
}


@router.get("/addons", response_class=HTMLResponse)
async def addon_list(request: Request, user: Caller) -> HTMLResponse:
    rows, problems = await run_in_threadpool(_rows, request, user)
    return page(request, "addons.html", addons=rows, problems=problems)


@router.get("/addons/{name}", response_class=HTMLResponse)
async def addon_page(request: Request, name: str, user: Caller, version: str = "") -> HTMLResponse:
    shown = await run_in_threadpool(_detail, request, user, name, version)
    return page(request, "addon.html", **shown, answers={}, submitted=False, problem="", notice="")


@router.post("/addons/{name}/enable")
async def enable(request: Request, name: str, user: Caller) -> Response:
    return await _change(request, user, name, "enable")


@router.post("/addons/{name}/upgrade")
async def upgrade(request: Request, name: str, user: Caller) -> Response:
    return await _change(request, user, name, "upgrade")


@router.post("/addons/{name}/disable")
async def disable(request: Request, name: str, user: Caller) -> Response:
    return await _change(request, user, name, "disable")


async def _change(request: Request, user: UserRecord, name: str, action: str) -> Response:
    form = await form_of(request)
    if form.get("confirmed") != "yes":
        return _ask(request, name, action, form)
    try:
        done, pending = await run_in_threadpool(_apply, request, name, action, form)
    except VesselError as exc:  # shown on the addon's page, with what was filled in
        return await _shown(request, user, name, form, status_of_error(exc), problem=exc.render())
    request.state.audit_object = done
    if pending:  # accepted, not finished (as the API's 202)
        return await _shown(request, user, name, form, 202, notice=pending)
    return RedirectResponse(f"/addons/{name}", status_code=303)


async def _shown(
    request: Request, user: UserRecord, name: str, form: dict[str, str], status: int, **said: str
) -> HTMLResponse:
    shown = await run_in_threadpool(_detail, request, user, name, form.get("version", ""))
    context = {"problem": "", "notice": "", **said, "answers": form, "submitted": True}
    return page(request, "addon.html", http_status=status, **shown, **context)


def _apply(request: Request, name: str, action: str, form: dict[str, str]) -> tuple[str, str]:
    """Make the change through the API's controller functions: what it changed (for the audit log),
    and what is still going on."""
    state = state_of(request)
    ctl = state.controller()
    version = form.get("version", "").strip()
    spec = f"{name}@{version}" if version else name
    if action == "disable":
        deleting = operations.disable_once_deleted(ctl, name)
        if deleting is not None:
            return name, f"{name} stays enabled while its Application {deleting} is deleted: disable it again"
        state.definitions_changed()
        return name, ""
    if action == "enable":
        planned, _ = operations.enable(ctl, spec, _settings(ctl, spec, form), _targets(form))
    else:
        planned, _ = operations.upgrade(ctl, spec, {})
    state.definitions_changed()
    return ", ".join(f"{r.name}@{r.version}" for r in planned.records), ""


def _ask(request: Request, name: str, action: str, form: dict[str, str]) -> HTMLResponse:
    version = form.get("version", "")
    shown_version = f" {version}" if action == "enable" and version else version or "the newest version"
    return page(
        request,
        "addon_confirm.html",
        name=name,
        question=QUESTIONS[action].format(name=name, version=shown_version),
        action=request.url.path,
        fields={k: v for k, v in form.items() if k not in ("csrf", "confirmed")},
    )


def _rows(request: Request, user: UserRecord) -> tuple[list[dict[str, Any]], list[str]]:
    ctl = state_of(request).controller()
    listed, found = operations.listing(ctl)
    enabled = {s["name"]: s for s in operations.status(ctl)}
    visible = visible_namespaces(request, user)
    rows = [{**row, **_status(enabled.get(row["name"]), visible)} for row in listed]
    return rows, [str(p) for p in found.problems]


def _status(status: dict[str, Any] | None, visible: frozenset[str] | None) -> dict[str, Any]:
    """An enabled addon's Application and phase, and those of its users the caller may see (the
    targets page leaves out other projects' applications the same way)."""
    if status is None:
        return {"phase": None, "application": None, "usedBy": [], "parameters": {}}
    users = [u for u in status["usedBy"] if visible is None or u.partition("/")[0] in visible]
    return {**status, "usedBy": users}


def _detail(request: Request, user: UserRecord, name: str, version: str) -> dict[str, Any]:
    """What the addon's page shows: its row, what the registry says of it (None when no registry
    offers it any more: then its status alone), and, for admins, the enable form."""
    ctl = state_of(request).controller()
    rows, _ = _rows(request, user)
    row = next((r for r in rows if r["name"] == name), None)
    if row is None:
        raise NotFoundError(f"addon {name!r} is neither on offer nor enabled", hint="see /addons")
    try:
        doc: dict[str, Any] | None = operations.show(ctl, f"{name}@{version}" if version else name)
    except VesselError as exc:
        doc, unreadable = None, exc.render()
    else:
        unreadable = ""
    found = schema_form.widgets(doc["schema"]) if doc else []
    simple = all(w.kind in schema_form.FLAT for w in found)
    return {
        "row": row,
        "doc": doc,
        "unreadable": unreadable,
        "widgets": found if simple else [],
        "settings_box": bool(found) and not simple,
        "target_names": sorted(info.name for info in ctl.targets.infos()) if user.admin else [],
    }


def _settings(ctl: Any, spec: str, form: dict[str, str]) -> dict[str, Any]:
    """The parameters the form gives: its fields, typed by the addon's schema, or the box."""
    if SETTINGS in form:
        return settings_from_text(form[SETTINGS])
    doc = operations.show(ctl, spec)
    return schema_form.properties(schema_form.widgets(doc["schema"]), form)


def settings_from_text(text: str) -> dict[str, Any]:
    """`key: value` YAML, or `key=value` lines as `--set` takes them (dotted keys nest; YAML values)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and all(KEY_VALUE.match(line) for line in lines):
        return parse_sets(lines)
    docs = read_text(text, SETTINGS) if lines else []
    data = docs[0].data if docs else {}
    if len(docs) > 1 or not isinstance(data, dict):
        raise ValidationError(f"{SETTINGS}: expected YAML `key: value` lines or `key=value` lines")
    return dict(data)


def _targets(form: dict[str, str]) -> list[str]:
    return sorted(k[len(TARGET) :] for k, v in form.items() if k.startswith(TARGET) and v)
