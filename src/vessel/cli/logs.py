"""`vessel logs NAME [-c C] [-f] [--tail N] [--since 5m] [--timestamps]`: what an application's
processes (local) or pods (Kubernetes) printed, as `kubectl logs` prints it.

`--since` and `--timestamps` rely on each line's time: the local target's shim stamps every line as the
workload writes it; Kubernetes' log API has `sinceSeconds` and `timestamps`. As the kubelet does,
`--tail` picks each instance's last lines first and `--since` then keeps the recent ones among them.

Without `--follow`, each workload's log is printed in turn (the last N lines of each instance). With it,
every workload is followed at once: the targets' own follow (`Target.logs(..., follow=True)`, which
tails files or streams pod logs) runs in a thread per workload, and lines are printed as they arrive,
from whichever workload wrote them (`controller.logs.merged`). It ends when every workload's log has
ended (deleted, its pods gone) or on Ctrl-C, with exit code 130 as shells expect of an interrupted
command. With a server configured, the server reads them (`GET …/logs`, one JSON line per log line) and
this prints what it streams, the same way.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer
from rich.text import Text

from vessel.cli.backend import LogRequest, client
from vessel.cli.options import Name, Namespace
from vessel.cli.report import out, reporting
from vessel.errors import ValidationError
from vessel.model.duration import parse_duration

INTERRUPTED = 130  # 128 + SIGINT


def logs(
    name: Name,
    namespace: Namespace = "default",
    component: Annotated[str | None, typer.Option("--component", "-c", help="Only this component.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[
        int | None, typer.Option("--tail", help="Only the last N lines of each (-1: all).", min=-1)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only lines newer than this (a duration: 5s, 2m, 3h).")
    ] = None,
    timestamps: Annotated[
        bool, typer.Option("--timestamps", help="Start each line with the time it was written (RFC 3339).")
    ] = False,
) -> None:
    """Print the logs of an application's workloads (on targets that keep logs)."""
    with reporting():
        asked = LogRequest(component, None if tail == -1 else tail, _seconds(since), timestamps, follow)
        lines = client().logs(namespace, name, asked)
        try:
            with contextlib.closing(lines):
                for comp, line in lines:
                    _print(comp, line)
        except KeyboardInterrupt:
            raise typer.Exit(INTERRUPTED) from None


def _seconds(since: str | None) -> float | None:
    if since is None:
        return None
    try:
        seconds = parse_duration(since)
    except ValueError as exc:
        raise ValidationError(f"--since: {exc}") from None
    if seconds <= 0:
        raise ValidationError(f"--since: {since!r} is not a positive duration", hint="e.g. 5s, 2m, 3h")
    return seconds


def _print(component: str, line: str) -> None:
    out.print(Text(f"{component} | {line}"))
