"""`vessel logs NAME [--component C] [--follow] [--tail N]`: what an application's processes printed."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.text import Text

from vessel.cli.options import Name, Namespace
from vessel.cli.report import out, reporting
from vessel.cli.session import controller
from vessel.controller.controller import Controller
from vessel.errors import NotFoundError
from vessel.store.records import AppRecord, InventoryEntry


def logs(
    name: Name,
    namespace: Namespace = "default",
    component: Annotated[str | None, typer.Option("--component", "-c", help="Only this component.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", help="Only the last N lines of each.")] = None,
) -> None:
    """Print the logs of an application's workloads (on targets that keep logs)."""
    with reporting(), controller() as ctl:
        app = ctl.find(namespace, name)
        workloads = _workloads(ctl, app, component)
        seen = {(e.target, e.key): 0 for e in workloads}
        while True:
            for entry in workloads:
                lines = list(ctl.targets.get(entry.target).logs(entry.key, None if follow else tail))
                start = seen[(entry.target, entry.key)]
                if start == 0 and follow and tail is not None:
                    start = max(0, len(lines) - tail)
                for line in lines[start:]:
                    out.print(Text(f"{entry.component} | {line}"))
                seen[(entry.target, entry.key)] = len(lines)
            if not follow:
                return
            time.sleep(0.5)


def _workloads(ctl: Controller, app: AppRecord, component: str | None) -> list[InventoryEntry]:
    found = [
        e
        for e in ctl.store.inventory(app.id)
        if not e.role and (component is None or e.component == component)
    ]
    if not found:
        what = f"component {component!r} of " if component else ""
        raise NotFoundError(f"no running workload for {what}{app.namespace}/{app.name}")
    return found
