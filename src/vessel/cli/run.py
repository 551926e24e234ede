"""`vessel run`: the reconcile loop in the foreground, for every application.

It resumes runs (also ones another process left behind, once their lease expires), honours suspend
durations and retry backoff, re-applies drift, goes on with failed deletes and keeps judging health. It
reads the target registry again at every pass, so targets added, changed or removed by other commands
while it runs are seen. When the store fails in a way that passes (PostgreSQL restarting, a full disk) it
keeps running: it says "store unavailable, retrying in Ns" and does the pass again once the store answers
(controller/outage.py). Stop it with Ctrl-C or SIGTERM: the step in flight finishes and is recorded, no
further step starts, and its leases are released.
"""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from vessel.cli.report import err, out, reporting
from vessel.cli.session import controller
from vessel.controller.reconcile_loop import ReconcileLoop, check_interval
from vessel.store.records import AppRecord


def run(
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="One pass over every application, then exit.")] = False,
) -> None:
    """Reconcile every application continuously (the controller loop)."""
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    with reporting():
        check_interval(interval)  # before the store is opened or a signal handler is set
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with reporting(), controller() as ctl:
        out.print(f"vessel run: reconciling every {interval:g}s (owner {ctl.owner})")
        loop = ReconcileLoop(ctl, interval, lambda: stopping["now"], on_change=_changed, on_error=_failed)
        loop.run(once)


def _changed(before: str, after: AppRecord) -> None:
    out.print(f"{after.namespace}/{after.name}: {before} -> {after.phase} {after.message}")


def _failed(app: AppRecord, exc: Exception) -> None:
    err.print(f"{app.namespace}/{app.name}: {type(exc).__name__}: {exc}")
