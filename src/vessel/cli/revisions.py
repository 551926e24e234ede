"""`vessel revision list NAME` and `vessel revision show NAME N`: an application's revisions.

`list` prints `controller.views.revision_list`'s document. `show` prints what revision N renders —
rendered again from the revision's own snapshot (its definitions as they were then), per placement and
for each target's type (`controller.manifests.revision_manifests`) — as YAML documents like `vessel
dry-run` (the default), a JSON `List` (`-o json`), or a table of the resources (`-o table`).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.backend import Document, client
from vessel.cli.ls import local_time
from vessel.cli.manifests import items, write_json, write_yaml
from vessel.cli.options import Name, Namespace
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting

app = typer.Typer(help="Inspect revisions.", no_args_is_help=True)
Number = Annotated[int, typer.Argument(help="Revision number (see `vessel revision list`).", min=1)]


@app.command("list")
def list_(name: Name, namespace: Namespace = "default", output: ViewOption = View.table) -> None:
    """List an application's revisions (* marks the one delivered)."""
    with reporting():
        found = client().revisions(namespace, name)
    show(found, output, _table)


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table("REVISION", "NAME", "CREATED", "DIGEST", "CURRENT", box=None, pad_edge=False)
    for r in rows:
        cells = (
            str(r["revision"]),
            r.get("name") or "",
            local_time(r["createdAt"]),
            r["digest"][:12],
            "*" if r["current"] else "",
        )
        table.add_row(*(Text(c) for c in cells))
    out.print(table)


@app.command("show")
def show_(
    name: Name, number: Number, namespace: Namespace = "default", output: ViewOption = View.yaml
) -> None:
    """Print the manifests revision N renders (what delivering it applies)."""
    with reporting():
        rendered = client().manifests(namespace, name, number)
    if output == View.table:
        _resources(rendered)
    else:
        (write_json if output == View.json else write_yaml)(items(rendered), sys.stdout)


def _resources(rendered: Document) -> None:
    table = Table("TARGET", "COMPONENT", "KIND", "NAMESPACE", "NAME", box=None, pad_edge=False)
    for source, res in items(rendered):
        meta = res.body.get("metadata") or {}
        target = source.partition(" @ ")[2]
        cells = (
            target,
            res.component,
            str(res.body.get("kind", "")),
            meta.get("namespace", ""),
            meta.get("name", ""),
        )
        table.add_row(*(Text(str(c)) for c in cells))
    out.print(table)
