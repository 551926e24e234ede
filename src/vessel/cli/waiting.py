"""Waiting for a workflow in the foreground (`up`, `workflow resume|restart|rollback`), never forever.

The command drives the run itself until it finishes, waits for a person, or `--timeout` (default
`DEFAULT_TIMEOUT`, 5m as `vela up --wait`) passes. While it waits, a line is printed whenever a step's
phase or message changes: the message says what the step waits for and the latest cause (an exit code,
a probe failure, a restart count). When the time is up it says which steps were still waiting and on
what, that the run carries on whenever a Vessel process drives it (`vessel run`, or the next `vessel
up`), and the command exits 1: a delivery that did not finish is not reported as one that did.
"""

from __future__ import annotations

from vessel.cli.progress import Progress
from vessel.cli.report import out
from vessel.cli.settled import (
    EMBEDDED_GOES_ON,
    OK_PHASES,
    STARTED,
    gave_up,
    waiting_steps,
    write_outcome,
)
from vessel.cli.timeouts import DEFAULT_TIMEOUT, Timeout, Wait, timeout_seconds
from vessel.controller.controller import Controller
from vessel.controller.status import current_workflow
from vessel.store.records import AppRecord, Phase

__all__ = [
    "DEFAULT_TIMEOUT",
    "OK_PHASES",
    "STARTED",
    "Timeout",
    "Wait",
    "drive",
    "print_summary",
    "timeout_seconds",
    "waiting_steps",
]


def drive(ctl: Controller, record: AppRecord, timeout: str) -> AppRecord:
    """Drive `record`'s run in this process, printing progress, then say how it ended."""
    seconds = timeout_seconds(timeout)
    settled = ctl.drive(record, timeout=seconds, progress=Progress(ctl, out))
    print_summary(ctl, settled, timeout)
    return settled


def print_summary(ctl: Controller, app: AppRecord, timeout: str) -> None:
    if app.phase == Phase.RUNNING_WORKFLOW:
        gave_up(app.name, app.namespace, current_workflow(ctl, app), timeout, EMBEDDED_GOES_ON)
        return
    suspended = app.phase == Phase.SUSPENDING
    # a timed suspension this command stopped waiting for says so in its message
    message = ctl.shown(app).message if suspended else app.message
    person = suspended and ctl.waits_for_a_person(app)
    write_outcome(app.name, app.namespace, app.phase, message, app.revision, person)
