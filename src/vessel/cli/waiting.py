"""Waiting for a workflow in the foreground (`up`, `workflow resume|restart|rollback`), never forever.

The command drives the run itself until it finishes, waits for a person, or `--timeout` (default
`DEFAULT_TIMEOUT`, 5m as `vela up --wait`) passes. While it waits, a line is printed whenever a step's
phase or message changes: the message says what the step waits for and the latest cause (an exit code,
a probe failure, a restart count). When the time is up it says which steps were still waiting and on
what, that the run carries on whenever a Vessel process drives it (`vessel run`, or the next `vessel
up`), and the command exits 1: a delivery that did not finish is not reported as one that did.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from vessel.cli.progress import Progress
from vessel.cli.report import err, out, styled
from vessel.controller.controller import Controller
from vessel.controller.status import current_workflow
from vessel.errors import ValidationError
from vessel.model.duration import parse_duration
from vessel.store.records import AppRecord, Phase, StepPhase

DEFAULT_TIMEOUT = "5m"
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Drive the workflow until it settles.")]
Timeout = Annotated[
    str, typer.Option("--timeout", help="Stop waiting after this long (a duration: 30s, 5m, 1h).")
]
OK_PHASES = (Phase.RUNNING, Phase.SUSPENDING)
STARTED = (StepPhase.RUNNING, StepPhase.SUSPENDING)


def timeout_seconds(timeout: str) -> float:
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        raise ValidationError(f"--timeout: {exc}") from None
    if seconds <= 0:
        raise ValidationError(f"--timeout: {timeout!r} is not a positive duration", hint="e.g. 30s, 5m")
    return seconds


def drive(ctl: Controller, record: AppRecord, timeout: str) -> AppRecord:
    """Drive `record`'s run in this process, printing progress, then say how it ended."""
    seconds = timeout_seconds(timeout)
    settled = ctl.drive(record, timeout=seconds, progress=Progress(ctl, out))
    print_summary(ctl, settled, timeout)
    return settled


def print_summary(ctl: Controller, app: AppRecord, timeout: str) -> None:
    if app.phase == Phase.RUNNING:
        out.print(styled(f"{app.name} is running", "green", f" (revision {app.revision})"))
    elif app.phase == Phase.SUSPENDING:
        view = ctl.shown(app)  # a timed suspension this command stopped waiting for says so
        out.print(styled(f"{app.name} is suspended", "yellow", f": {view.message}"))
        if ctl.waits_for_a_person(app) and "vessel workflow resume" not in view.message:
            out.print(f"  resume with: vessel workflow resume {app.name} -n {app.namespace}")
    elif app.phase == Phase.RUNNING_WORKFLOW:
        _gave_up(ctl, app, timeout)
    else:
        err.print(styled(f"{app.name}: {app.phase}", "red", f" {app.message}"))


def _gave_up(ctl: Controller, app: AppRecord, timeout: str) -> None:
    workflow = current_workflow(ctl, app)
    err.print(Text(f"{app.name}: gave up waiting after {timeout}; still waiting for:", style="yellow"))
    waiting = waiting_steps(workflow["steps"])
    for step in waiting:
        err.print(Text(f"  {step['name']}: {step['message'] or step['phase']}"))
    if not waiting:
        err.print(
            Text(f"  the workflow ({workflow['phase']}): {workflow['message'] or 'no step has started yet'}")
        )
    err.print(
        f"The workflow goes on whenever a Vessel process drives it: keep `vessel run` running (or run "
        f"`vessel up` again). Follow it with: vessel status {app.name} -n {app.namespace} -w"
    )


def waiting_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps (sub-steps rather than their group) that have started and are not done."""
    found: list[dict[str, Any]] = []
    for step in steps:
        started = [s for s in step["subSteps"] if s["phase"] in STARTED]
        if started:
            found += started
        elif step["phase"] in STARTED:
            found.append(step)
    return found
