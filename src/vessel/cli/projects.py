"""`vessel project create | list | show | set | delete` and `vessel member add | remove`: which namespaces a
team owns, which targets it may deliver to, and who is in it with which role (owner, developer, viewer).
The API's `/api/v1/projects…` makes the same changes through the same functions; both are audited.

`project delete` is refused while the project owns applications; `--force` deletes it all the same and
leaves them, delivered and driven, in namespaces no project owns (only admins see them through the API
until a project claims those namespaces).

With a server configured (`vessel login`), these go through its API — as the caller, so a project's
owner manages its members from their own machine, and the server says who may do what; otherwise they
work on this machine's store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.backend import remote
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting

if TYPE_CHECKING:
    from vessel.cli.remote_client import RemoteClient
    from vessel.store.store import Store

Done = TypeVar("Done")

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
    namespaces, targets = namespace or [], target or []

    def here(store: Store, now: float, actor: str) -> None:
        from vessel.controller.projects import create_project

        create_project(store, name, namespaces, targets, now, actor=actor)

    def there(server: RemoteClient) -> None:
        body = {"name": name, "namespaces": namespaces, "targets": targets}
        server.send("POST", "/api/v1/projects", body)

    with reporting():
        _either(here, there)
    out.print(f"project {name} created")


@projects.command("list")
def project_list_command(output: ViewOption = View.table) -> None:
    """Projects with their namespaces, targets and members (through a server: those you may see)."""

    def here(store: Store, now: float, actor: str) -> list[dict[str, Any]]:
        from vessel.controller.projects import project_list

        return project_list(store)

    def there(server: RemoteClient) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = server.server.get("/api/v1/projects")
        return found

    with reporting():
        found = _either(here, there)
    show(found, output, _table)


@projects.command("show")
def project_show(name: Project, output: ViewOption = View.table) -> None:
    """One project: its namespaces, targets and members."""

    def here(store: Store, now: float, actor: str) -> dict[str, Any]:
        from vessel.controller.projects import project_shown

        return project_shown(store, name)

    def there(server: RemoteClient) -> dict[str, Any]:
        found: dict[str, Any] = server.server.get(f"/api/v1/projects/{_segment(name)}")
        return found

    with reporting():
        found = _either(here, there)
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
    """Change what PROJECT owns and may use; what is not given stays as it is (through a server, an
    owner may narrow them; widening is an admin's)."""
    targets = [] if any_target else target

    def here(store: Store, now: float, actor: str) -> None:
        from vessel.controller.projects import change_project

        change_project(store, name, namespace, targets, now, actor=actor)

    def there(server: RemoteClient) -> None:
        body = {k: v for k, v in (("namespaces", namespace), ("targets", targets)) if v is not None}
        server.send("PATCH", f"/api/v1/projects/{_segment(name)}", body)

    with reporting():
        if any_target and target:
            from vessel.errors import ValidationError

            raise ValidationError("--any-target and --target: give one of them")
        _either(here, there)
    out.print(f"project {name} changed")


@projects.command("delete")
def project_delete(
    name: Project,
    force: Annotated[
        bool, typer.Option("--force", help="Even while it owns applications: they stay, in no project.")
    ] = False,
) -> None:
    """Delete PROJECT, its members and its namespaces' claims (not the applications in them)."""

    def here(store: Store, now: float, actor: str) -> int:
        from vessel.controller.projects import delete_project

        return delete_project(store, name, force, now, actor=actor)

    def there(server: RemoteClient) -> int:
        answer = server.send("DELETE", f"/api/v1/projects/{_segment(name)}{'?force=true' if force else ''}")
        return int(answer["applicationsLeft"])

    with reporting():
        left = _either(here, there)
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

    def here(store: Store, now: float, actor: str) -> None:
        from vessel.controller.projects import add_member

        add_member(store, project, user, role, now, actor=actor)

    def there(server: RemoteClient) -> None:
        server.send("POST", f"/api/v1/projects/{_segment(project)}/members", {"user": user, "role": role})

    with reporting():
        _either(here, there)
    out.print(f"{user} is a {role} of project {project}")


@members.command("remove")
def member_remove(project: Project, user: User) -> None:
    """Remove USER from PROJECT."""

    def here(store: Store, now: float, actor: str) -> None:
        from vessel.controller.projects import remove_member

        remove_member(store, project, user, now, actor=actor)

    def there(server: RemoteClient) -> None:
        server.send("DELETE", f"/api/v1/projects/{_segment(project)}/members/{_segment(user)}")

    with reporting():
        _either(here, there)
    out.print(f"{user} removed from project {project}")


def _either(here: Callable[[Store, float, str], Done], there: Callable[[RemoteClient], Done]) -> Done:
    """`there(server)` when a server is configured; else `here(store, now, actor)` on this machine's."""
    server = remote()
    if server is not None:
        return there(server)
    from vessel.cli.session import open_store
    from vessel.controller.audit import local_actor
    from vessel.workflow.clock import SystemClock

    store = open_store()
    try:
        return here(store, SystemClock().now(), local_actor())
    finally:
        store.close()


def _segment(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
