"""`vessel events NAME [-o table|json|yaml]`: what happened to an application, oldest first."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from vessel.cli.backend import client
from vessel.cli.ls import local_time
from vessel.cli.options import Name, Namespace
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting


def events(name: Name, namespace: Namespace = "default", output: ViewOption = View.table) -> None:
    """Show an application's events, oldest first."""
    with reporting():
        found = client().events(namespace, name)
    show(found, output, _table)


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table("TIME", "TYPE", "REASON", "MESSAGE", box=None, pad_edge=False)
    for e in rows:
        table.add_row(local_time(e["time"]), e["type"], e["reason"], Text(e["message"]))
    out.print(table)
