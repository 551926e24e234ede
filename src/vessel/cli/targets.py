"""`vessel target add | list | remove`: where applications can be delivered."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.report import out, reporting
from vessel.cli.session import controller
from vessel.controller.targets import StoreTargets
from vessel.errors import ConflictError, NotFoundError, ValidationError
from vessel.targets import factory
from vessel.targets.protocol import TargetInfo, TargetStatus

app = typer.Typer(help="Manage delivery targets.", no_args_is_help=True)


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"{option} {item!r}: expected key=value")
        pairs[key] = value
    return pairs


@app.command()
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
        list[str] | None, typer.Option("--config", help="Type-specific k=v; repeatable.")
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Deliver here when nothing else is chosen.")
    ] = False,
) -> None:
    """Register a target."""
    with reporting(), controller() as ctl:
        settings: dict[str, Any] = _pairs(config or [], "--config")
        if path is not None:
            settings["path"] = str(Path(path).expanduser().resolve())
        if kubeconfig is not None:  # the path only: credentials stay in the kubeconfig, never in the store
            settings["kubeconfig"] = str(Path(kubeconfig).expanduser().resolve())
        settings.update({k: v for k, v in (("context", context), ("namespace", namespace)) if v})
        info = TargetInfo(name, type_, _pairs(label or [], "--label"), settings)
        target = factory.create(info)  # validates the type and its settings before anything is stored
        if any(existing.name == name for existing, _ in ctl.store.targets()):
            raise ConflictError(f"target {name!r} already exists", hint="remove it first")
        first = not ctl.store.targets()
        ctl.store.add_target(info, default=default or first, now=ctl.clock.now())
        status = target.status()
        target.close()
    out.print(f"target {name} added{' (default)' if default or first else ''}")
    if status.reachable:
        out.print(Text(f"  reachable{', ' + status.version if status.version else ''}"))
    else:  # registered anyway: a cluster may well be down or not yet created when it is added
        out.print(Text(f"  not reachable now: {status.message}", style="yellow"))


@app.command("list")
def list_(output: Annotated[str, typer.Option("-o", "--output", help="table or json")] = "table") -> None:
    """List targets with their reachability."""
    with reporting(), controller() as ctl:
        rows: list[dict[str, Any]] = []
        provider = StoreTargets(ctl.store)
        default = provider.default()
        infos = provider.infos()
        with ThreadPoolExecutor(max_workers=min(8, len(infos))) as pool:  # unreachable ones time out at once
            statuses = list(pool.map(_status, infos))
        for info, status in zip(infos, statuses, strict=True):
            is_default = info.name == default
            rows.append(
                {
                    "name": info.name,
                    "type": info.type,
                    "labels": dict(info.labels),
                    "default": is_default,
                    "reachable": status.reachable,
                    "version": status.version,
                    "message": status.message,
                }
            )
    if output == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table("NAME", "TYPE", "DEFAULT", "REACHABLE", "VERSION", "LABELS", box=None, pad_edge=False)
    for r in rows:
        labels = ",".join(f"{k}={v}" for k, v in r["labels"].items())
        table.add_row(
            *(
                Text(str(c))
                for c in (
                    r["name"],
                    r["type"],
                    "*" if r["default"] else "",
                    "yes" if r["reachable"] else f"no: {r['message']}",
                    r["version"],
                    labels,
                )
            )
        )
    out.print(table)


def _status(info: TargetInfo) -> TargetStatus:
    target = factory.create(info)
    try:
        return target.status()
    finally:
        target.close()


@app.command()
def remove(name: Annotated[str, typer.Argument(help="Target name.")]) -> None:
    """Unregister a target (refused while an application still has resources there)."""
    with reporting(), controller() as ctl:
        users = sorted(
            {a.name for a in ctl.store.apps() for e in ctl.store.inventory(a.id) if e.target == name}
        )
        if users:
            raise ConflictError(
                f"target {name!r} still holds resources of {', '.join(users)}",
                hint="delete those applications first",
            )
        if not ctl.store.remove_target(name):
            raise NotFoundError(f"target {name!r} is not registered")
    out.print(f"target {name} removed")
