"""`/api/v1/targets`: list (anyone with a token), and add, set the default, remove (admins: targets are
the platform's, not a team's) — the controller functions `vessel target list | add | set-default |
remove` call, with their checks: a name that is a DNS subdomain, settings checked per type before
anything is stored, and no removal while applications hold resources there (409). A target's settings
hold names and paths (a kubeconfig's path, never its contents)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from vessel.api.auth import state_of
from vessel.api.permissions import authorize
from vessel.controller import targets as registry
from vessel.controller.controller import Controller
from vessel.errors import NotFoundError
from vessel.targets.protocol import TargetInfo

readers = APIRouter(prefix="/api/v1", tags=["targets"], dependencies=[Depends(authorize)])
admins = APIRouter(prefix="/api/v1", tags=["targets"], dependencies=[Depends(authorize)])


class NewTarget(BaseModel):
    """A target to register: as `vessel target add NAME --type T [--label k=v] [--config k=v] [--default]`."""

    model_config = ConfigDict(extra="forbid")
    name: str
    type: str
    labels: dict[str, str] = Field(default_factory=dict)
    config: dict[str, Any] = Field(
        default_factory=dict, description="Type-specific settings (path, kubeconfig…)"
    )
    default: bool = False


@readers.get("/targets", summary="Targets (vessel target list -o json)")
def list_targets(request: Request) -> list[dict[str, Any]]:
    return registry.target_list(state_of(request).controller())


@admins.post("/targets", status_code=201, summary="Add a target (vessel target add; admins)")
def add_target(request: Request, target: NewTarget) -> dict[str, Any]:
    """Register it; answers with its row of the list (reachability and version included)."""
    ctl = state_of(request).controller()
    info = TargetInfo(target.name, target.type, dict(target.labels), dict(target.config))
    registry.add(ctl, info, default=target.default)
    ctl.targets.refresh()
    return _row(ctl, target.name)


@admins.put("/targets/{name}/default", summary="Make it the default (vessel target set-default; admins)")
def set_default(request: Request, name: str) -> dict[str, Any]:
    ctl = state_of(request).controller()
    previous = registry.set_default(ctl, name)
    ctl.targets.refresh()
    return {"default": name, "previous": previous}


@admins.delete("/targets/{name}", summary="Remove a target (vessel target remove; admins)")
def remove_target(request: Request, name: str) -> dict[str, Any]:
    ctl = state_of(request).controller()
    new_default = registry.remove(ctl, name)
    ctl.targets.refresh()
    default = new_default or registry.registered(ctl)[1]
    return {"removed": name, "default": default, "wasDefault": new_default is not None}


def _row(ctl: Controller, name: str) -> dict[str, Any]:
    found = [row for row in registry.target_list(ctl) if row["name"] == name]
    if not found:
        raise NotFoundError(f"target {name!r} is not registered")
    return found[0]
