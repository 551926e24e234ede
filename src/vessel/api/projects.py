"""`/api/v1/projects`: create (admins), list and show (members see their own projects), change its
settings (owners narrow them, admins anything), delete (admins), and add or remove members (the
project's owners, and admins) — the controller functions `vessel project create|list|show|set|delete`
and `vessel member add|remove` call. Who may call which is api/permissions.py's; each change is in
the audit log (the middleware records it, naming the project and member).

A project that still owns applications is deleted only with `?force=true`: the applications stay,
delivered and driven, in namespaces no project owns — only admins see them until a project claims
those namespaces. Without it, 409 naming how many live where."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vessel.api.auth import state_of
from vessel.api.permissions import authorize, check_settings, visible_projects
from vessel.controller import projects as control
from vessel.store.projects import Projects

router = APIRouter(prefix="/api/v1", tags=["projects"], dependencies=[Depends(authorize)])


class NewProject(BaseModel):
    """A project: as `vessel project create NAME [--namespace NS…] [--target T…]`."""

    model_config = ConfigDict(extra="forbid")
    name: str
    namespaces: list[str] = Field(default_factory=list, description="The namespaces it owns.")
    targets: list[str] = Field(default_factory=list, description="The targets it may use (none: every one).")


class ProjectSettings(BaseModel):
    """What to change (a field left out stays as it is): as `vessel project set NAME …`."""

    model_config = ConfigDict(extra="forbid")
    namespaces: list[str] | None = Field(default=None, description="The namespaces it owns, all of them.")
    targets: list[str] | None = Field(
        default=None, description="The targets it may use, all of them (empty: every one)."
    )


class NewMember(BaseModel):
    """A member: as `vessel member add PROJECT USER ROLE`."""

    model_config = ConfigDict(extra="forbid")
    user: str
    role: str = Field(description="owner, developer or viewer")


@router.post("/projects", status_code=201, summary="Create a project (vessel project create; admins)")
def create_project(request: Request, project: NewProject) -> dict[str, Any]:
    state = state_of(request)
    request.state.audit_object = project.name
    control.create_project(
        state.store, project.name, project.namespaces, project.targets, state.clock.now(), actor=None
    )
    return control.project_document(Projects(state.store).get(project.name))


@router.get("/projects", summary="Projects (vessel project list -o json)")
def list_projects(request: Request) -> list[dict[str, Any]]:
    """The projects the caller is a member of (every one, for an admin)."""
    visible = visible_projects(request, request.state.caller)
    return [
        p for p in control.project_list(state_of(request).store) if visible is None or p["name"] in visible
    ]


@router.get("/projects/{project}", summary="One project")
def show_project(request: Request, project: str) -> dict[str, Any]:
    return control.project_document(Projects(state_of(request).store).get(project))


@router.patch("/projects/{project}", summary="Change its namespaces or targets (vessel project set)")
def change_project(request: Request, project: str, settings: ProjectSettings) -> dict[str, Any]:
    """Owners may narrow the project (give up namespaces, drop targets); widening it is an admin's."""
    state = state_of(request)
    request.state.audit_object = project
    check_settings(
        request.state.caller, Projects(state.store).get(project), settings.namespaces, settings.targets
    )
    control.change_project(
        state.store, project, settings.namespaces, settings.targets, state.clock.now(), actor=None
    )
    return control.project_document(Projects(state.store).get(project))


@router.delete("/projects/{project}", summary="Delete a project (vessel project delete; admins)")
def delete_project(
    request: Request,
    project: str,
    force: Annotated[
        bool, Query(description="Even while it owns applications: they stay, in no project.")
    ] = False,
) -> dict[str, Any]:
    state = state_of(request)
    request.state.audit_object = project + (" (forced)" if force else "")
    left = control.delete_project(state.store, project, force, state.clock.now(), actor=None)
    return {"deleted": True, "applicationsLeft": left}


@router.post("/projects/{project}/members", summary="Add a member (vessel member add; owners)")
def add_member(request: Request, project: str, member: NewMember) -> dict[str, Any]:
    state = state_of(request)
    request.state.audit_object = f"{project}/{member.user} ({member.role})"
    control.add_member(state.store, project, member.user, member.role, state.clock.now(), actor=None)
    return control.project_document(Projects(state.store).get(project))


@router.delete("/projects/{project}/members/{user}", summary="Remove a member (vessel member remove; owners)")
def remove_member(request: Request, project: str, user: str) -> dict[str, Any]:
    state = state_of(request)
    request.state.audit_object = f"{project}/{user}"
    control.remove_member(state.store, project, user, state.clock.now(), actor=None)
    return control.project_document(Projects(state.store).get(project))
