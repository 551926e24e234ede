"""`/api/v1/namespaces/{namespace}/applications/{name}/…`: revisions (list, and the manifests one
renders) and diff (live objects against what reconciling would apply) — the documents `vessel revision
list -o json`, `vessel revision show N -o json` and `vessel diff -o json` print, from the same
controller functions (a Secret's values masked there, as the CLI shows them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from vessel.api.auth import state_of
from vessel.api.permissions import authorize
from vessel.controller.applying import manifest_list, manifest_sources
from vessel.controller.diff import diff_app
from vessel.controller.manifests import revision_manifests
from vessel.controller.views import revision_list

router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}/applications/{name}",
    tags=["revisions"],
    dependencies=[Depends(authorize)],  # api/permissions.py
)


@router.get("/revisions", summary="Revisions (vessel revision list -o json)")
def list_revisions(request: Request, namespace: str, name: str) -> list[dict[str, Any]]:
    """Every revision kept, oldest first; `current` marks the one delivered."""
    ctl = state_of(request).controller()
    return revision_list(ctl, ctl.find(namespace, name))


@router.get("/revisions/{number}/manifests", summary="What a revision renders (vessel revision show)")
def revision_objects(request: Request, namespace: str, name: str, number: int = Path(ge=1)) -> dict[str, Any]:
    """The objects delivering revision `number` applies, rendered again from its own snapshot (as the
    `List` `vessel revision show -o json` prints), and `sources`: where each item came from."""
    ctl = state_of(request).controller()
    rendered = revision_manifests(ctl, ctl.find(namespace, name), number)
    return {**manifest_list(rendered), "sources": manifest_sources(rendered)}


@router.get("/diff", summary="Drift (vessel diff -o json)")
def diff(request: Request, namespace: str, name: str) -> list[dict[str, Any]]:
    """Per resource, the live object against what reconciling would apply."""
    ctl = state_of(request).controller()
    return [r.document() for r in diff_app(ctl, ctl.find(namespace, name))]
