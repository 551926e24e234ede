"""`/api/v1/addons`: what the registries offer and what is enabled (anyone with a token), and enabling,
upgrading and disabling (admins: addons change the platform's definitions for every project) — the
controller functions `vessel addon list | show | status | enable | upgrade | disable` call, with the
same checks and the same documents.

Enabling and upgrading answer 202 once the plan is stored and the addons' Applications are submitted;
the server's loop delivers them (`GET /api/v1/addon-status` shows their phase). Disabling deletes the
addon's own Application first: 200 when it is gone and the addon disabled, 202 while its deletion goes
on (the addon stays enabled; call again to finish)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from vessel.addons.enable import AddonRecord
from vessel.api.auth import state_of
from vessel.api.permissions import authorize
from vessel.controller import addons as operations
from vessel.store.records import AppRecord

router = APIRouter(prefix="/api/v1", tags=["addons"], dependencies=[Depends(authorize)])


class Enabling(BaseModel):
    """As `vessel addon enable NAME[@VERSION] --set k=v --target T` (and `upgrade`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    version: str = Field("", description="A version or a constraint (empty: the newest on offer)")
    set: dict[str, Any] = Field(default_factory=dict, description="The addon's parameters (nested)")
    targets: list[str] = Field(default_factory=list, description="Where its Application goes")


class Upgrading(Enabling):
    allow_downgrade: bool = Field(False, alias="allowDowngrade")


@router.get("/addons", summary="Addons on offer and enabled (vessel addon list -o json)")
def list_addons(request: Request) -> list[dict[str, Any]]:
    rows, _ = operations.listing(state_of(request).controller())
    return rows


@router.get("/addon-status", summary="The enabled addons (vessel addon status -o json)")
def addon_status(request: Request) -> list[dict[str, Any]]:
    return operations.status(state_of(request).controller())


@router.get("/addons/{name}", summary="One addon: metadata, parameters, README (vessel addon show)")
def show_addon(
    request: Request,
    name: str,
    version: Annotated[str, Query(description="A version or a constraint")] = "",
) -> dict[str, Any]:
    return operations.show(state_of(request).controller(), _spec(name, version))


@router.post("/addons/{name}/enable", status_code=202, summary="Enable (vessel addon enable; admins)")
def enable_addon(request: Request, name: str, body: Enabling) -> dict[str, Any]:
    ctl = state_of(request).controller()
    planned, submitted = operations.enable(ctl, _spec(name, body.version), body.set, body.targets)
    state_of(request).definitions_changed()
    return _answer(planned.records, submitted)


@router.post("/addons/{name}/upgrade", status_code=202, summary="Upgrade (vessel addon upgrade; admins)")
def upgrade_addon(request: Request, name: str, body: Upgrading) -> dict[str, Any]:
    ctl = state_of(request).controller()
    planned, submitted = operations.upgrade(
        ctl, _spec(name, body.version), body.set, body.targets, allow_downgrade=body.allow_downgrade
    )
    state_of(request).definitions_changed()
    return _answer(planned.records, submitted)


@router.delete("/addons/{name}", summary="Disable (vessel addon disable; admins)")
def disable_addon(
    request: Request,
    name: str,
    force: Annotated[bool, Query(description="Disable even while applications use it")] = False,
) -> JSONResponse:
    deleting = operations.disable_once_deleted(state_of(request).controller(), name, force=force)
    if deleting is not None:
        return JSONResponse({"disabled": False, "deleting": deleting}, status_code=202)
    state_of(request).definitions_changed()
    return JSONResponse({"disabled": True})


def _spec(name: str, version: str) -> str:
    return f"{name}@{version}" if version else name


def _answer(records: Iterable[AddonRecord], submitted: list[AppRecord]) -> dict[str, Any]:
    return {
        "addons": [{"name": r.name, "version": r.version} for r in records],
        "applications": [f"{a.namespace}/{a.name}" for a in submitted],
    }
