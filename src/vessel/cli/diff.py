"""`vessel diff`: each resource's live state against the desired one, like `kubectl diff` — read-only.

Exit code as diff(1): 0 when nothing differs, 1 when reconciling would change something (drift, a
missing object, a pending delete), 2 on trouble (an error, or a target that could not be read).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.text import Text

from vessel.cli.options import Name, Namespace
from vessel.cli.report import out, reporting
from vessel.cli.session import live_registry
from vessel.controller.controller import Controller
from vessel.controller.diff import DiffState, ResourceDiff, diff_app
from vessel.store.store import Store


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


DIFFERS, TROUBLE = 1, 2
STATE_STYLES = {
    DiffState.UNCHANGED: "green",
    DiffState.DRIFTED: "yellow",
    DiffState.MISSING: "red",
    DiffState.DELETING: "red",
    DiffState.UNREACHABLE: "bold red",
}


def diff(
    name: Name,
    namespace: Namespace = "default",
    output: Annotated[DiffFormat, typer.Option("-o", "--output", help="Output format.")] = DiffFormat.text,
) -> None:
    """Show how each resource's live state differs from the desired one; changes nothing.

    Exits 0 when nothing differs, 1 when something drifted or is missing, 2 on errors (an unreachable
    target included)."""
    with _trouble_exits_2():
        results = _diff(namespace, name)
    if output == DiffFormat.json:
        json.dump([_json(r) for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(results)
    if any(r.state == DiffState.UNREACHABLE for r in results):
        raise typer.Exit(TROUBLE)
    if any(r.differs for r in results):
        raise typer.Exit(DIFFERS)


def _diff(namespace: str, name: str) -> list[ResourceDiff]:
    """A controller of its own, not `session.controller()`: nothing is driven, so there are no leases
    to release on the way out, and the store sees no write at all."""
    store = Store.open()
    try:
        ctl = Controller(store, registry=live_registry())
        return diff_app(ctl, ctl.find(namespace, name))
    finally:
        store.close()


@contextmanager
def _trouble_exits_2() -> Iterator[None]:
    """`reporting()`, but its error exit is 2: 1 already means "something differs"."""
    try:
        with reporting():
            yield
    except typer.Exit:
        raise typer.Exit(TROUBLE) from None


def _json(r: ResourceDiff) -> dict[str, Any]:
    return {
        "target": r.target,
        "apiVersion": r.key.api_version,
        "kind": r.key.kind,
        "namespace": r.key.namespace,
        "name": r.key.name,
        "component": r.component,
        "state": r.state,
        "message": r.message,
        "diff": r.diff,
    }


def _print(results: list[ResourceDiff]) -> None:
    if not results:
        out.print("no resources delivered yet")
        return
    for r in results:
        out.print(_header(r))
        for line in r.diff.splitlines():
            out.print(Text(line, style=_line_style(line)))
    counts = Counter(r.state for r in results)
    out.print(Text(f"{len(results)} resource(s): " + ", ".join(f"{n} {s}" for s, n in counts.items())))


def _header(r: ResourceDiff) -> Text:
    where = f"{r.key.namespace}/" if r.key.namespace else ""
    header = Text(f"{r.target}/{r.key.kind} {where}{r.key.name} ({r.component})", style="bold")
    header.append("  ")
    header.append(r.state, style=STATE_STYLES.get(r.state, "cyan"))
    if r.message:
        header.append(f": {r.message}")
    return header


def _line_style(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    return {"-": "red", "+": "green"}.get(line[:1], "")
