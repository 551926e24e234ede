"""The workflow operations in embedded mode: done in this process, which then drives the run with
`--wait` (`cli/workflow_ops.py` is the command)."""

from __future__ import annotations

from rich.text import Text

from vessel.cli.interrupt import Interrupted, interruptible
from vessel.cli.report import err, out
from vessel.cli.session import controller
from vessel.cli.waiting import drive
from vessel.controller.controller import Controller
from vessel.store.records import AppRecord


def operate_here(
    operation: str, namespace: str, name: str, revision: str | None, wait: bool, timeout: str
) -> None:
    """Suspend, resume, terminate, restart or roll back; the result said as the command says it."""
    with controller() as ctl:
        record = ctl.find(namespace, name)
        if operation == "rollback":
            ctl.rollback(record, revision)
            record = ctl.find(namespace, name)
            out.print(f"{name}: rolling back to revision {record.revision}")
        else:
            getattr(ctl, operation)(record)
            out.print(f"{name}: workflow {operation}d")  # suspended, resumed, terminated, restarted
        _drive(ctl, record, wait, timeout)


def _drive(ctl: Controller, record: AppRecord, wait: bool, timeout: str) -> None:
    if not wait:
        return

    def stopped(stop: Interrupted) -> None:
        err.print(Text(f"\n{stop.signal}: stopped driving; {record.name}: {ctl.interrupted(record)}"))

    with interruptible(stopped):
        drive(ctl, record, timeout)
