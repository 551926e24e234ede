"""`vessel project create | list | show | set | delete` and `vessel member add | remove`: which namespaces a
team owns, which targets it may deliver to, and who is in it with which role (owner, developer, viewer).
The API's `/api/v1/projects…` makes the same changes through the same functions; both are audited.

`project delete` is refused while the project owns applications; `--force` deletes it all the same and
leaves them, delivered and driven, in namespaces no project owns (only admins see them through the API
until a project claims those namespaces)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting
from vessel.cli.session import open_store
from vessel.controller.audit import local_actor
from vessel.controller.projects import (
    add_member,
    change_project,
    create_project,
    delete_project,
    project_list,
    project_shown,
    remove_member,
)
from vessel.errors import ValidationError
from vessel.workflow.clock import SystemClock

projects = typer.Typer(
    help="Projects of a `vessel server`: namespaces, targets, members.", no_args_is_help=True
)
members = typer.Typer(help="Members of a project and their roles.", no_args_is_help=True)
Project = Annotated[str, typer.Argument(help="Project name (a DNS label).")]
User = Annotated[str, typer.Argument(help="User name.")]


@projects.command("create")
def project_create(
    name: Project,
    namespace: Annotated[
        list[str] | None, typer.Option("--namespace", help="A namespace it owns (repeat for more).")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="A target it may use (repeat; none: every one).")
    ] = None,
) -> None:
    """Create a project owning NAMESPACEs and allowed TARGETs."""
    with reporting():
        store = open_store()
        try:
            create_project(
                store, name, namespace or [], target or [], SystemClock().now(), actor=local_actor()
            )
        finally:
            store.close()
    out.print(f"project {name} created")


@projects.command("list")
def project_list_command(output: ViewOption = View.table) -> None:
    """Projects with their namespaces, targets and members."""
    with reporting():
        store = open_store()
        try:
            found = project_list(store)
        finally:
            store.close()
    show(found, output, _table)


@projects.command("show")
def project_show(name: Project, output: ViewOption = View.table) -> None:
    """One project: its namespaces, targets and members."""
    with reporting():
        store = open_store()
        try:
            found = project_shown(store, name)
        finally:
            store.close()
    show(found, output, lambda doc: _table([doc]))


@projects.command("set")
def project_set(
    name: Project,
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", help="The namespaces it owns, all of them (repeat; replaces the list)."),
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="The targets it may use, all of them (repeat; replaces the list)."),
    ] = None,
    any_target: Annotated[bool, typer.Option("--any-target", help="It may use every target.")] = False,
) -> None:
    """Change what PROJECT owns and may use; what is not given stays as it is."""
    with reporting():
        if any_target and target:
            raise ValidationError("--any-target and --target: give one of them")
        targets = [] if any_target else target
        store = open_store()
        try:
            change_project(store, name, namespace, targets, SystemClock().now(), actor=local_actor())
        finally:
            store.close()
    out.print(f"project {name} changed")


@projects.command("delete")
def project_delete(
    name: Project,
    force: Annotated[
        bool, typer.Option("--force", help="Even while it owns applications: they stay, in no project.")
    ] = False,
) -> None:
    """Delete PROJECT, its members and its namespaces' claims (not the applications in them)."""
    with reporting():
        store = open_store()
        try:
            left = delete_project(store, name, force, SystemClock().now(), actor=local_actor())
        finally:
            store.close()
    note = f"; {left} application(s) left in namespaces no project owns" if left else ""
    out.print(f"project {name} deleted{note}")


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table("NAME", "NAMESPACES", "TARGETS", "MEMBERS", box=None, pad_edge=False)
    for r in rows:
        people = ",".join(f"{m['user']}({m['role']})" for m in r["members"])
        cells = (r["name"], ",".join(r["namespaces"]) or "-", ",".join(r["targets"]) or "*", people or "-")
        table.add_row(*(Text(c) for c in cells))
    out.print(table)


@members.command("add")
def member_add(
    project: Project, user: User, role: Annotated[str, typer.Argument(help="owner, developer or viewer.")]
) -> None:
    """Make USER a member of PROJECT with ROLE (a member already gets the new role)."""
    with reporting():
        store = open_store()
        try:
            add_member(store, project, user, role, SystemClock().now(), actor=local_actor())
        finally:
            store.close()
    out.print(f"{user} is a {role} of project {project}")


@members.command("remove")
def member_remove(project: Project, user: User) -> None:
    """Remove USER from PROJECT."""
    with reporting():
        store = open_store()
        try:
            remove_member(store, project, user, SystemClock().now(), actor=local_actor())
        finally:
            store.close()
    out.print(f"{user} removed from project {project}")
