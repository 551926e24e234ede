"""`vessel addon …`: registries, and listing, showing, enabling and disabling addons (docs/addons.md).

Enabling works everything out before it changes anything (`addons/enable.py`): dependencies, parameters,
definition clashes, and that each addon's Application renders on the targets it would go to. Only then
are the addons stored — in one transaction — and their Applications delivered exactly as `vessel up`
delivers a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.addons import enable as addons
from vessel.addons import registries
from vessel.addons.catalog import Catalog
from vessel.addons.enable import AddonRecord
from vessel.addons.settings import parse_sets
from vessel.cli.deleting import _delete_until
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import err, out, reporting, styled
from vessel.cli.session import controller
from vessel.cli.waiting import DEFAULT_TIMEOUT, OK_PHASES, Timeout, drive, timeout_seconds
from vessel.controller.manifests import check_renders
from vessel.definitions.registry import build_registry, directories_from_env

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
) -> None:
    """Add a registry: a local directory of addon directories (NAME/ or NAME/VERSION/), or an HTTP index
    of checksummed archives."""
    with reporting(), controller() as ctl:
        registries.add_registry(ctl.store, name, path=path, url=url, now=ctl.clock.now())
    out.print(f"addon registry {name} added")


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
        found = addons.available(ctl.store)
        enabled = {r.name: r for r in addons.enabled(ctl.store, files=False)}
    doc = _listing(found, enabled)
    show(doc, output, _list_table)
    for problem in found.problems:
        err.print(styled("warning: ", "yellow", f"{problem}"))


def _listing(found: Catalog, enabled: dict[str, AddonRecord]) -> list[dict[str, Any]]:
    rows = []
    for name in sorted({*found.entries, *enabled}):
        versions = found.versions(name)
        record = enabled.get(name)
        newest = found.entries[name][versions[0]] if versions else None
        rows.append(
            {
                "name": name,
                "versions": versions,
                "enabled": record.version if record else None,
                "registry": record.registry if record else newest.registry if newest else "",
                "description": newest.description if newest else _description(record),
            }
        )
    return rows


def _description(record: AddonRecord | None) -> str:
    return str(record.metadata.get("description", "")) if record else ""


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
        name, constraint = addons.parse_spec(spec)
        found = addons.available(ctl.store)
        package = found.package(found.choose(name, constraint, ""))
    fields = package.parameters().fields()
    doc = {
        **package.metadata.to_json(),
        "parameters": [
            {
                "name": f.name,
                "type": f.type,
                "required": f.required,
                "default": f.default,
                "description": f.description,
            }
            for f in fields
        ],
        "readme": package.readme,
    }
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


@app.command("enable")
def enable(
    spec: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (a version or a constraint).")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="parameter=value (dotted keys nest; YAML values).")
    ] = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Enable an addon and, first, the addons it depends on; deliver its Application if it has one."""
    with reporting(), controller() as ctl:
        timeout_seconds(timeout)
        planned = addons.prepare(ctl.store, spec, parse_sets(set_ or []), ctl.clock.now())
        registry = build_registry(directories_from_env(), installed=planned.definitions())
        for application in planned.applications:
            check_renders(application, registry, ctl.targets)
        addons.commit(ctl.store, planned)
        for record in planned.records:
            out.print(f"addon {record.name}@{record.version} enabled")
        results = []
        for application in planned.applications:
            submitted = ctl.submit(application, registry)
            results.append(drive(ctl, submitted.app, timeout))
    if not all(r.phase in OK_PHASES for r in results):
        raise typer.Exit(1)


@app.command("disable")
def disable(name: str, force: Force = False, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
    """Disable an addon: refused while applications use its definitions (unless --force)."""
    with reporting(), controller() as ctl:
        record = addons.check_disable(ctl.store, name, force=force)
        if record.application is not None:
            own = ctl.store.app(*_split(record.application))
            if own is not None and not _delete_until(ctl, own, True, timeout_seconds(timeout) or 0.0):
                err.print(f"{record.application}: not deleted yet; the addon stays enabled")
                raise typer.Exit(1)
        addons.disable(ctl.store, name)
    out.print(f"addon {name} disabled")


@app.command("status")
def status(output: ViewOption = View.table) -> None:
    """The enabled addons: version, registry, their Application's phase, and who uses them."""
    with reporting(), controller() as ctl:
        doc: list[dict[str, Any]] = []
        for record in addons.enabled(ctl.store):
            own = ctl.store.app(*_split(record.application)) if record.application else None
            doc.append(
                {
                    "name": record.name,
                    "version": record.version,
                    "registry": record.registry,
                    "parameters": record.parameters,
                    "application": record.application,
                    "phase": str(own.phase) if own else None,
                    "usedBy": [f"{ns}/{n}" for ns, n in addons.users(ctl.store, record)],
                }
            )
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


def _split(application: str) -> tuple[str, str]:
    namespace, _, name = application.partition("/")
    return namespace, name


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> None:
    table = Table(*headers, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*(str(c) for c in row))
    out.print(table)
