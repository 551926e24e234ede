"""`vessel diff`: each resource's live state against the desired one, like `kubectl diff` — read-only.

Exit code as diff(1): 0 when nothing differs, 1 when reconciling would change something (drift, a
missing object, a pending delete), 2 on trouble (an error, or a target that could not be read).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.text import Text

from vessel.cli.backend import client
from vessel.cli.options import Name, Namespace
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting

DIFFERS, TROUBLE = 1, 2
UNREACHABLE = "unreachable"
DIFFERENT = frozenset({"drifted", "missing", "deleting"})  # controller.diff.DiffState.DIFFERENT
STATE_STYLES = {
    "unchanged": "green",
    "drifted": "yellow",
    "missing": "red",
    "deleting": "red",
    UNREACHABLE: "bold red",
}


def diff(name: Name, namespace: Namespace = "default", output: ViewOption = View.table) -> None:
    """Show how each resource's live state differs from the desired one; changes nothing.

    Exits 0 when nothing differs, 1 when something drifted or is missing, 2 on errors (an unreachable
    target included). The table view is a unified YAML diff per resource."""
    with _trouble_exits_2():
        results = client().diff(namespace, name)
    show(results, output, _print)
    if any(r["state"] == UNREACHABLE for r in results):
        raise typer.Exit(TROUBLE)
    if any(r["state"] in DIFFERENT for r in results):
        raise typer.Exit(DIFFERS)


@contextmanager
def _trouble_exits_2() -> Iterator[None]:
    """`reporting()`, but its error exit is 2: 1 already means "something differs"."""
    try:
        with reporting():
            yield
    except typer.Exit:
        raise typer.Exit(TROUBLE) from None


def _print(results: list[dict[str, Any]]) -> None:
    if not results:
        out.print("no resources delivered yet")
        return
    for r in results:
        out.print(_header(r))
        for line in r["diff"].splitlines():
            out.print(Text(line, style=_line_style(line)))
    counts = Counter(r["state"] for r in results)
    out.print(Text(f"{len(results)} resource(s): " + ", ".join(f"{n} {s}" for s, n in counts.items())))


def _header(r: dict[str, Any]) -> Text:
    where = f"{r['namespace']}/" if r["namespace"] else ""
    header = Text(f"{r['target']}/{r['kind']} {where}{r['name']} ({r['component']})", style="bold")
    header.append("  ")
    header.append(r["state"], style=STATE_STYLES.get(r["state"], "cyan"))
    if r["message"]:
        header.append(f": {r['message']}")
    return header


def _line_style(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    return {"-": "red", "+": "green"}.get(line[:1], "")
