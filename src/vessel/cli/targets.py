"""`vessel target add | list | set-default | remove`: where applications can be delivered.

The default target is explicit: `local` until someone says otherwise (`target add --default`,
`target set-default`). Adding a target never changes it, and changing it never moves an application
already delivered: each revision records the default it was placed with (see `controller.placement`);
the next revision of an application goes to the new default, and `vessel up` says so.

With a server configured, the server's targets are listed and changed (through its API: changing them
is for its admins); what is printed is the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.backend import client, remote
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting
from vessel.errors import ValidationError
from vessel.targets import settings


def _settings_help() -> str:
    lines = ["Settings per type (--config KEY=VALUE):"]
    for type_, declared in settings.DECLARED.items():
        lines.append(f"{type_}: " + "; ".join(f"{s.key}: {s.meaning}" for s in declared))
    return "\n\n".join(lines)


app = typer.Typer(help="Manage delivery targets.", no_args_is_help=True)


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"{option} {item!r}: expected key=value")
        pairs[key] = value
    return pairs


@app.command(epilog=_settings_help())
def add(
    name: Annotated[str, typer.Argument(help="Target name (what topology policies refer to).")],
    type_: Annotated[
        str, typer.Option("--type", help="Target type: local, directory, kubernetes, memory, …")
    ],
    path: Annotated[str | None, typer.Option(help="local/directory: where state or manifests live.")] = None,
    kubeconfig: Annotated[str | None, typer.Option(help="kubernetes: kubeconfig file (read at use).")] = None,
    context: Annotated[str | None, typer.Option(help="kubernetes: kubeconfig context.")] = None,
    namespace: Annotated[str | None, typer.Option(help="kubernetes: default namespace.")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="k=v; repeatable.")] = None,
    config: Annotated[
        list[str] | None, typer.Option("--config", help="Type-specific k=v; repeatable (listed below).")
    ] = None,
    default: Annotated[
        bool,
        typer.Option("--default", help="Make it the default: new revisions without a topology go here."),
    ] = False,
) -> None:
    """Register a target (the default stays where it is unless --default)."""
    with reporting():
        values: dict[str, Any] = _pairs(config or [], "--config")
        if path is not None:
            values["path"] = str(Path(path).expanduser().resolve())
        if kubeconfig is not None:  # the path only: credentials stay in the kubeconfig, never in the store
            values["kubeconfig"] = str(Path(kubeconfig).expanduser().resolve())
        values.update({k: v for k, v in (("context", context), ("namespace", namespace)) if v})
        labels = _pairs(label or [], "--label")
        previous, reachable, version, message = _add(name, type_, labels, values, default)
    out.print(f"target {name} added" + (f" (the default now; was {previous})" if default else ""))
    if reachable:
        out.print(Text(f"  reachable{', ' + version if version else ''}"))
    else:  # registered anyway: a cluster may well be down or not yet created when it is added
        out.print(Text(f"  not reachable now: {message}", style="yellow"))


def _add(
    name: str, type_: str, labels: dict[str, str], values: dict[str, Any], default: bool
) -> tuple[str | None, bool, str, str]:
    """Register it; the previous default, and whether it is reachable (its version, or why not)."""
    server = remote()
    if server is not None:  # paths were resolved here: the server reads them on its own machine
        previous = next((t["name"] for t in server.targets() if t["default"]), None)
        row = server.add_target(
            {"name": name, "type": type_, "labels": labels, "config": values, "default": default}
        )
        return previous, bool(row["reachable"]), str(row["version"] or ""), str(row["message"] or "")
    from vessel.cli.session import controller
    from vessel.controller import targets as target_registry
    from vessel.targets.protocol import TargetInfo

    with controller() as ctl:
        info = TargetInfo(name, type_, labels, values)
        previous = target_registry.add(ctl, info, default=default)
        status = target_registry.status_of(info)
    return previous, status.reachable, status.version or "", status.message


@app.command("list")
def list_(output: ViewOption = View.table) -> None:
    """List targets with their settings and reachability."""
    with reporting():
        rows = client().targets()
    show(rows, output, _table)


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table("NAME", "TYPE", "DEFAULT", "REACHABLE", "VERSION", "LABELS", box=None, pad_edge=False)
    for r in rows:
        labels = ",".join(f"{k}={v}" for k, v in r["labels"].items())
        reachable = "yes" if r["reachable"] else f"no: {r['message']}"
        cells = (r["name"], r["type"], "*" if r["default"] else "", reachable, r["version"], labels)
        table.add_row(*(Text(str(c)) for c in cells))
    out.print(table)


@app.command("set-default")
def set_default(name: Annotated[str, typer.Argument(help="Target name (`local` included).")]) -> None:
    """Make a target the default: where new revisions without a topology policy are delivered.

    Applications already delivered stay where they are until their next revision."""
    with reporting():
        previous = _set_default(name)
    if previous == name:
        out.print(f"{name} is already the default target")
        return
    out.print(f"default target: {name} (was {previous})")
    out.print("  applications already delivered stay where they are; their next revision goes to " + name)


def _set_default(name: str) -> str:
    server = remote()
    if server is not None:
        return str(server.set_default_target(name)["previous"])
    from vessel.cli.session import controller
    from vessel.controller import targets as target_registry

    with controller() as ctl:
        return target_registry.set_default(ctl, name)


@app.command()
def remove(name: Annotated[str, typer.Argument(help="Target name.")]) -> None:
    """Unregister a target (refused while applications still have resources there)."""
    with reporting():
        new_default = _remove(name)
    out.print(f"target {name} removed")
    if new_default is not None:
        out.print(f"  it was the default: the default target is {new_default} again")


def _remove(name: str) -> str | None:
    """Unregister it; the default target again if it was the default, else None."""
    server = remote()
    if server is not None:
        answer = server.remove_target(name)
        return str(answer["default"]) if answer.get("wasDefault") else None
    from vessel.cli.session import controller
    from vessel.controller import targets as target_registry

    with controller() as ctl:
        return target_registry.remove(ctl, name)
