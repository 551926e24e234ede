"""`vessel ls [-n NS | -A] [-o table|json|yaml]`: the applications of a namespace, as `vela ls` lists them.

Like `vela ls` and `kubectl get`, it lists one namespace (`default` unless `-n` says otherwise) and every
namespace with `-A`, and only then shows a NAMESPACE column. The document is
`controller.views.application_list`'s, from this machine's store or from the server (`cli/backend.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.backend import client
from vessel.cli.options import Namespace
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting

AllNamespaces = Annotated[
    bool, typer.Option("--all-namespaces", "-A", help="List the applications of every namespace.")
]


def ls(
    namespace: Namespace = "default", all_namespaces: AllNamespaces = False, output: ViewOption = View.table
) -> None:
    """List applications (of one namespace, or of all with -A)."""
    with reporting():
        apps = client().applications(None if all_namespaces else namespace)
    show(apps, output, lambda rows: _table(rows, all_namespaces))


def _table(rows: list[dict[str, Any]], all_namespaces: bool) -> None:
    columns = ["NAME", "PHASE", "REVISION", "UPDATED", "MESSAGE"]
    table = Table(*(["NAMESPACE"] if all_namespaces else []), *columns, box=None, pad_edge=False)
    for r in rows:
        cells = [r["name"], r["phase"], str(r["revision"]), local_time(r["updatedAt"]), r["message"]]
        table.add_row(*(Text(c) for c in ([r["namespace"]] if all_namespaces else []) + cells))
    out.print(table)


def local_time(rfc3339: str) -> str:
    """An RFC 3339 UTC time of a document as this machine's local time, for tables."""
    moment = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
