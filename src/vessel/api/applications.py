"""`/api/v1` applications: apply, list, get, delete, dry-run.

Each handler does what the matching command does, through the same controller functions
(controller/applying.py, views.py, status.py), and returns the same documents `-o json` prints. Nothing
waits for a workflow: apply stores the revision and its run and answers 202; the server's controller
loop drives the run, and its progress is read with GET (the `vessel status -o json` document).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vessel.addons.installed import addon_definitions
from vessel.api.auth import state_of
from vessel.api.body import APPLY_BODY, BODY, read_text_body
from vessel.api.permissions import authorize, check_apply, visible_namespaces
from vessel.api.responses import RedactedJSONResponse
from vessel.api.state import DEFAULT_PAGE, MAX_PAGE, ServerState
from vessel.controller.applying import (
    applications,
    check_all,
    dry_run,
    manifest_list,
    manifest_sources,
    warnings_for,
)
from vessel.controller.controller import Controller
from vessel.controller.projects import targets_used
from vessel.controller.selection import check_health, healthy_as_asked, parse_selector
from vessel.controller.views import application_list, event_list
from vessel.controller.watch import observe
from vessel.definitions.files import LoadedFiles, load_text
from vessel.definitions.registry import Registry, build_registry, directories_from_env
from vessel.errors import ValidationError
from vessel.store.accounts import UserRecord

router = APIRouter(prefix="/api/v1", tags=["applications"], dependencies=[Depends(authorize)])
NAMESPACE_PARAMETER = "query.namespace"  # how errors name it (FastAPI's own name for the parameter)
Namespace = Annotated[str | None, Query(description="Deliver into this namespace, whatever the body says.")]


def _registry(state: ServerState, loaded: LoadedFiles) -> Registry:
    """The server's definitions, plus those that came in the body (for this application only)."""
    if not loaded.definitions:
        return state.registry
    return build_registry(
        directories_from_env(), loaded.definitions, installed=addon_definitions(state.store)
    )


@router.post("/applications", status_code=202, openapi_extra=APPLY_BODY, summary="Apply (vessel up)")
async def apply(
    request: Request,
    namespace: Namespace = None,
    if_match: Annotated[
        str | None,
        Header(description='The ETag of the version this change is based on ("0": the application is new).'),
    ] = None,
) -> dict[str, Any]:
    """Store a revision of each Application in the body and start its workflow; answers at once. With
    `If-Match`, only if the application's latest revision is still the one the ETag names (else 412)."""
    text = await read_text_body(request)
    expected = _expected_revision(if_match)
    user = request.state.caller
    applied = await run_in_threadpool(apply_text, request, user, text, namespace, expected)
    request.state.audit_object = ", ".join(
        f"{a['namespace']}/{a['name']}@{a['revision']}" for a in applied["applications"]
    )
    return applied


def _expected_revision(if_match: str | None) -> int | None:
    """The revision an `If-Match` ETag names (`"3"` or `W/"3"`), or None without one."""
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ValidationError(f'If-Match: {if_match!r} is not an ETag this server gave (e.g. "3")')
    return int(tag)


def etag(revision: int) -> str:
    return f'"{revision}"'


def apply_text(
    request: Request, user: UserRecord, text: str, namespace: str | None, expected: int | None
) -> dict[str, Any]:
    """Apply the Applications of `text` as `user` (the API's apply, and the dashboard's editor): every
    mistake raised before anything is stored, then `check_apply`, then one revision each."""
    state = state_of(request)
    loaded = load_text(text, BODY)
    registry = _registry(state, loaded)
    apps = applications(loaded, namespace, NAMESPACE_PARAMETER)
    if expected is not None and len(apps) != 1:
        raise ValidationError(f"If-Match applies to one Application; the body holds {len(apps)}")
    ctl = state.controller()
    check_all(apps, registry, ctl.targets)  # every mistake, before anything is stored
    check_apply(request, user, [(a.namespace, a.name, targets_used(ctl, a, registry)) for a in apps])
    submitted = [ctl.submit(app, registry, expected_revision=expected) for app in apps]
    return {
        "applications": [
            {
                "name": s.app.name,
                "namespace": s.app.namespace,
                "revision": s.revision if s.revision is not None else s.app.revision,
                "created": s.revision is not None,
                "run": s.run_id,
                "warnings": list(s.warnings),
                "placementChanges": s.moved.describe() if s.moved is not None else None,
            }
            for s in submitted
        ],
        "notes": loaded.all_notes(),
        "warnings": warnings_for(apps, registry),
    }


@router.post("/dry-run", openapi_extra=APPLY_BODY, summary="Render without delivering (vessel dry-run)")
async def dry_run_body(request: Request, namespace: Namespace = None) -> JSONResponse:
    """The body's Applications rendered for Kubernetes, as `vessel dry-run -o json` prints them.

    Not redacted, as the CLI's dry-run is not: it is the caller's own input rendered, to be applied
    elsewhere (masking would make it wrong, and masking values this server knows from other
    applications would tell the caller which values those are)."""
    text = await read_text_body(request)
    return JSONResponse(await run_in_threadpool(dry_run_text, state_of(request), text, namespace))


def dry_run_text(state: ServerState, text: str, namespace: str | None) -> dict[str, Any]:
    """The Applications of `text` rendered (the API's dry-run, and the dashboard editor's check)."""
    loaded = load_text(text, BODY)
    result = dry_run(loaded, _registry(state, loaded), namespace, NAMESPACE_PARAMETER)
    return {
        **manifest_list(result.manifests),
        "sources": manifest_sources(result.manifests),
        "notes": result.notes,
        "warnings": result.warnings,
    }


@router.get("/applications", summary="List applications (vessel ls)")
def list_applications(
    request: Request,
    namespace: Annotated[str | None, Query(description="Only this namespace (default: every one).")] = None,
    phase: Annotated[str | None, Query(description="Only applications in this phase.")] = None,
    health: Annotated[str | None, Query(description="healthy (running) or unhealthy.")] = None,
    selector: Annotated[str | None, Query(description="Label selector: a=b,c!=d,e,!f.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    after: Annotated[str | None, Query(alias="continue", description="From the previous page.")] = None,
) -> dict[str, Any]:
    """One page of applications by namespace and name; `continue` names the next page, if any."""
    check_health(health)
    requirements = parse_selector(selector) if selector is not None else ()
    ctl = state_of(request).controller()
    start = _position(after)
    visible = visible_namespaces(request, request.state.caller)
    page: list[dict[str, Any]] = []
    for doc in application_list(ctl, namespace):
        if (doc["namespace"], doc["name"]) <= start:
            continue
        if visible is not None and doc["namespace"] not in visible:  # outside the caller's projects
            continue
        if (phase is not None and doc["phase"] != phase) or not healthy_as_asked(doc["phase"], health):
            continue
        if requirements and not all(r.holds(_labels(ctl, doc)) for r in requirements):
            continue
        if len(page) == limit:
            return {"items": page, "continue": _token(page[-1])}
        page.append(doc)
    return {"items": page, "continue": None}


def _labels(ctl: Controller, doc: dict[str, Any]) -> dict[str, Any]:
    app = ctl.find(doc["namespace"], doc["name"])
    spec = ctl.store.revision(app.id, app.revision).spec
    labels = spec.get("metadata", {}).get("labels") or {}
    return labels if isinstance(labels, dict) else {}


def _token(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{doc['namespace']}/{doc['name']}".encode()).decode()


def _position(token: str | None) -> tuple[str, str]:
    if token is None:
        return ("", "")
    try:
        namespace, _, name = base64.urlsafe_b64decode(token.encode()).decode().partition("/")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError("continue: not a token this server gave") from None
    return (namespace, name)


@router.get("/namespaces/{namespace}/applications/{name}", summary="Status (vessel status -o json)")
def get_application(
    request: Request,
    namespace: str,
    name: str,
    tree: Annotated[
        bool, Query(description="With each workload's instances (pods, processes), as `--tree`.")
    ] = False,
) -> RedactedJSONResponse:
    """The application's status document: phase, workflow steps, services and resources. Its ETag
    names the latest revision: send it back as `If-Match` to apply a change only on top of it.

    How a watch judges it (`controller.watch`) is in headers, so a client follows it as `vessel status
    -w` does: `Vessel-Settled` (failed or terminated, waiting for a person, or succeeded with every
    service healthy), `Vessel-Failed`, `Vessel-Driven` (a live process drives its workflow)."""
    ctl = state_of(request).controller()
    with ctl.store.session():  # its reads on one connection
        app = ctl.find(namespace, name)
        seen = observe(ctl, app, instances=tree)
    headers = {
        "ETag": etag(app.latest_revision),
        "Vessel-Settled": _flag(seen.settled),
        "Vessel-Failed": _flag(seen.failed),
        "Vessel-Driven": _flag(seen.driven),
    }
    return RedactedJSONResponse(seen.document, headers=headers)


def _flag(value: bool) -> str:
    return "true" if value else "false"


@router.get("/namespaces/{namespace}/applications/{name}/events", summary="Events (vessel events -o json)")
def get_events(request: Request, namespace: str, name: str) -> list[dict[str, Any]]:
    """What happened to the application, oldest first (the most recent ones, as `vessel events`)."""
    ctl = state_of(request).controller()
    return event_list(ctl, ctl.find(namespace, name))


@router.delete("/namespaces/{namespace}/applications/{name}", summary="Delete (vessel delete)")
def delete_application(
    request: Request,
    namespace: str,
    name: str,
    orphan: Annotated[
        bool, Query(description="Leave in place, and forget, what cannot be deleted now.")
    ] = False,
) -> RedactedJSONResponse:
    """Delete the application and what it delivered. 200 when done; 202 while deletes are still being
    retried (the controller loop goes on; GET says what is left). With `orphan`, what cannot be deleted
    now is left in place, forgotten, and listed."""
    ctl = state_of(request).controller()
    app = ctl.find(namespace, name)
    if orphan:
        left = ctl.delete_orphaning(app)
        items = [{"target": e.target, "resource": str(e.key), "reason": e.last_error or ""} for e in left]
        return RedactedJSONResponse({"deleted": True, "leftInPlace": items})
    if ctl.delete(app):
        return RedactedJSONResponse({"deleted": True})
    left = ctl.store.inventory(app.id)
    return RedactedJSONResponse({"deleted": False, "resourcesLeft": len(left)}, status_code=202)
