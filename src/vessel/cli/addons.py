"""`vessel addon …`: registries, and listing, showing, enabling and disabling addons (docs/addons.md).

Enabling works everything out before it changes anything (`addons/enable.py`): dependencies, parameters,
definition clashes, and that each addon's Application renders on the targets it would go to. Only then
are the addons stored — in one transaction — and their Applications delivered exactly as `vessel up`
delivers a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.addons import enable as addons
from vessel.addons import registries
from vessel.addons.settings import parse_sets
from vessel.cli.deleting import _delete_until
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import err, out, reporting, styled
from vessel.cli.session import controller
from vessel.cli.waiting import DEFAULT_TIMEOUT, OK_PHASES, Timeout, drive, timeout_seconds
from vessel.controller import addons as operations

if TYPE_CHECKING:
    from vessel.controller.controller import Controller
    from vessel.store.records import AppRecord

app = typer.Typer(
    help="Addons: packages of definitions and services that extend the platform.", no_args_is_help=True
)
registry_app = typer.Typer(help="Where addons come from.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")

Force = Annotated[bool, typer.Option("--force", help="Disable even while applications use it.")]


@registry_app.command("add")
def registry_add(
    name: str,
    path: Annotated[Path | None, typer.Option("--path", help="A directory of addon directories.")] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="An HTTP(S) index: URL of index.yaml or of its folder.")
    ] = None,
    git: Annotated[
        str | None, typer.Option("--git", help="A Git repository of addon directories (URL or path).")
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option("--ref", help="With --git: the tag, branch or commit to pin (recorded as a commit)."),
    ] = None,
) -> None:
    """Add a registry: a local directory of addon directories (NAME/ or NAME/VERSION/), a Git repository
    laid out the same way at a pinned commit, or an HTTP index of checksummed archives."""
    with reporting(), controller() as ctl:
        added = registries.add_registry(
            ctl.store, name, path=path, url=url, git=git, ref=ref, now=ctl.clock.now()
        )
    pinned = f" at commit {added.location.rpartition('#')[2]}" if added.kind == "git" else ""
    out.print(f"addon registry {name} added{pinned}")


@registry_app.command("list")
def registry_list(output: ViewOption = View.table) -> None:
    """The addon registries, in the order they are searched."""
    with reporting(), controller() as ctl:
        found = registries.registries(ctl.store)
    doc = [{"name": r.name, "kind": r.kind, "location": r.location} for r in found]
    show(doc, output, lambda d: _table(["NAME", "KIND", "LOCATION"], [list(r.values()) for r in d]))


@registry_app.command("remove")
def registry_remove(name: str) -> None:
    """Remove a registry (enabled addons stay enabled: they are in the store)."""
    with reporting(), controller() as ctl:
        registries.remove_registry(ctl.store, name)
    out.print(f"addon registry {name} removed")


@app.command("list")
def list_(output: ViewOption = View.table) -> None:
    """Every addon the registries offer, and the enabled ones, with versions."""
    with reporting(), controller() as ctl:
        doc, found = operations.listing(ctl)
    show(doc, output, _list_table)
    for problem in found.problems:
        err.print(styled("warning: ", "yellow", f"{problem}"))


def _list_table(doc: list[dict[str, Any]]) -> None:
    rows = [
        [r["name"], ", ".join(r["versions"]) or "-", r["enabled"] or "-", r["registry"], r["description"]]
        for r in doc
    ]
    _table(["NAME", "AVAILABLE", "ENABLED", "REGISTRY", "DESCRIPTION"], rows)


@app.command("show")
def show_(
    spec: Annotated[str, typer.Argument(help="NAME or NAME@VERSION.")], output: ViewOption = View.table
) -> None:
    """An addon's metadata, parameters and README."""
    with reporting(), controller() as ctl:
        doc = operations.show(ctl, spec)
    show(doc, output, _show_table)


def _show_table(doc: dict[str, Any]) -> None:
    out.print(Text(f"{doc['name']} {doc['version']}", style="bold"), Text(f"  {doc['description']}"))
    for dep in doc["dependencies"]:
        out.print(f"  needs {dep['name']} {dep['version']}")
    if doc["targets"]:
        out.print(f"  targets: {', '.join(doc['targets'])}")
    rows = [
        [p["name"], p["type"], "yes" if p["required"] else "", _shown(p["default"]), p["description"]]
        for p in doc["parameters"]
    ]
    if rows:
        _table(["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"], rows)
    if doc["readme"]:
        out.print(Text(doc["readme"]))


Sets = Annotated[
    list[str] | None, typer.Option("--set", help="parameter=value (dotted keys nest; YAML values).")
]
Targets = Annotated[
    list[str] | None,
    typer.Option("--target", help="A target to deliver the addon's Application to (repeat for more)."),
]


@app.command("enable")
def enable(
    spec: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (a version or a constraint).")],
    set_: Sets = None,
    target: Targets = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Enable an addon and, first, the addons it depends on; deliver its Application if it has one (to
    the default target, or to each --target)."""
    with reporting(), controller() as ctl:
        timeout_seconds(timeout)
        planned, submitted = operations.enable(ctl, spec, parse_sets(set_ or []), target or ())
        for record in planned.records:
            out.print(f"addon {record.name}@{record.version} enabled")
        ok = _drive_all(ctl, submitted, timeout)
    if not ok:
        raise typer.Exit(1)


@app.command("upgrade")
def upgrade(
    spec: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (default: the newest on offer).")],
    set_: Sets = None,
    target: Targets = None,
    allow_downgrade: Annotated[
        bool, typer.Option("--allow-downgrade", help="Allow going to an older version.")
    ] = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Move an enabled addon to another version, keeping its parameters (--set changes some) and its
    targets (--target replaces them); dependencies it now needs are enabled first. Nothing changes when
    anything is wrong."""
    with reporting(), controller() as ctl:
        timeout_seconds(timeout)
        name, _ = addons.parse_spec(spec)
        before = addons.enabled_addon(ctl.store, name).version
        planned, submitted = operations.upgrade(
            ctl, spec, parse_sets(set_ or []), target or (), allow_downgrade=allow_downgrade
        )
        for r in planned.records:
            moved = f"upgraded from {before}" if r.version != before else "kept at this version"
            out.print(f"addon {r.name}@{r.version} {moved if r.name == name else 'enabled'}")
        ok = _drive_all(ctl, submitted, timeout)
    if not ok:
        raise typer.Exit(1)


def _drive_all(ctl: Controller, submitted: list[AppRecord], timeout: str) -> bool:
    """Drive each submitted Application until it settles (each, even after one failed); did all deliver?"""
    phases = [drive(ctl, app, timeout).phase for app in submitted]
    return all(phase in OK_PHASES for phase in phases)


@app.command("disable")
def disable(name: str, force: Force = False, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
    """Disable an addon: refused while applications use its definitions (unless --force)."""
    with reporting(), controller() as ctl:
        record = addons.check_disable(ctl.store, name, force=force)
        own = operations.own_application(ctl, record)
        if own is not None and not _delete_until(ctl, own, True, timeout_seconds(timeout) or 0.0):
            err.print(f"{record.application}: not deleted yet; the addon stays enabled")
            raise typer.Exit(1)
        operations.disable(ctl, name)
    out.print(f"addon {name} disabled")


@app.command("status")
def status(output: ViewOption = View.table) -> None:
    """The enabled addons: version, registry, their Application's phase, and who uses them."""
    with reporting(), controller() as ctl:
        doc = operations.status(ctl)
    rows = [
        [
            str(d["name"]),
            d["version"],
            d["registry"],
            d["application"] or "-",
            d["phase"] or "-",
            ", ".join(d["usedBy"]) or "-",
        ]
        for d in doc
    ]
    show(
        doc,
        output,
        lambda _: _table(["NAME", "VERSION", "REGISTRY", "APPLICATION", "PHASE", "USED BY"], rows),
    )


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> None:
    table = Table(*headers, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*(str(c) for c in row))
    out.print(table)
