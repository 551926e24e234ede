"""`vessel workflow suspend | resume | terminate | restart | rollback`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from vessel.cli.interrupt import Interrupted, interruptible
from vessel.cli.options import Name, Namespace
from vessel.cli.report import err, out, reporting
from vessel.cli.session import controller
from vessel.cli.waiting import DEFAULT_TIMEOUT, Timeout, Wait, drive
from vessel.controller.controller import Controller
from vessel.store.records import AppRecord

app = typer.Typer(help="Control an application's workflow.", no_args_is_help=True)


def _drive(ctl: Controller, record: AppRecord, wait: bool, timeout: str) -> None:
    if not wait:
        return

    def stopped(stop: Interrupted) -> None:
        err.print(Text(f"\n{stop.signal}: stopped driving; {record.name}: {ctl.interrupted(record)}"))

    with interruptible(stopped):
        drive(ctl, record, timeout)


@app.command()
def suspend(name: Name, namespace: Namespace = "default") -> None:
    """Pause the running workflow (resume continues where it stopped)."""
    with reporting(), controller() as ctl:
        ctl.suspend(ctl.find(namespace, name))
    out.print(f"{name}: workflow suspended")


@app.command()
def resume(
    name: Name, namespace: Namespace = "default", wait: Wait = True, timeout: Timeout = DEFAULT_TIMEOUT
) -> None:
    """Resume a suspended workflow (this also approves a deploy step with auto: false)."""
    with reporting(), controller() as ctl:
        record = ctl.find(namespace, name)
        ctl.resume(record)
        out.print(f"{name}: workflow resumed")
        _drive(ctl, record, wait, timeout)


@app.command()
def terminate(name: Name, namespace: Namespace = "default") -> None:
    """Stop the workflow for good (it cannot be resumed; restart starts a new run)."""
    with reporting(), controller() as ctl:
        ctl.terminate(ctl.find(namespace, name))
    out.print(f"{name}: workflow terminated")


@app.command()
def restart(
    name: Name, namespace: Namespace = "default", wait: Wait = True, timeout: Timeout = DEFAULT_TIMEOUT
) -> None:
    """Run the current revision's workflow again from the start."""
    with reporting(), controller() as ctl:
        record = ctl.find(namespace, name)
        ctl.restart(record)
        out.print(f"{name}: workflow restarted")
        _drive(ctl, record, wait, timeout)


@app.command()
def rollback(
    name: Name,
    namespace: Namespace = "default",
    revision: Annotated[
        str | None,
        typer.Option(
            help="Revision to deliver: its number or its publishVersion (default: the previous one)."
        ),
    ] = None,
    wait: Wait = True,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Deliver an earlier revision again, exactly as it rendered."""
    with reporting(), controller() as ctl:
        record = ctl.find(namespace, name)
        ctl.rollback(record, revision)
        record = ctl.find(namespace, name)
        out.print(f"{name}: rolling back to revision {record.revision}")
        _drive(ctl, record, wait, timeout)
