"""How a wait for a workflow ended, in words: the same lines whether this process drove the workflow
(embedded: `cli/waiting.py`) or followed a server driving it (remote: `cli/following.py`)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from vessel.cli.report import err, out, styled
from vessel.store.records import Phase, StepPhase

OK_PHASES = (Phase.RUNNING, Phase.SUSPENDING)
STARTED = (StepPhase.RUNNING, StepPhase.SUSPENDING)
EMBEDDED_GOES_ON = (
    "The workflow goes on whenever a Vessel process drives it: keep `vessel run` running (or run "
    "`vessel up` again)."
)
SERVER_GOES_ON = "The server goes on driving the workflow."


def write_outcome(
    name: str,
    namespace: str,
    phase: str,
    message: str,
    revision: int,
    waits_for_a_person: bool,
) -> None:
    """The line for a workflow that settled (running, suspended, failed or terminated)."""
    if phase == Phase.RUNNING:
        out.print(styled(f"{name} is running", "green", f" (revision {revision})"))
    elif phase == Phase.SUSPENDING:
        out.print(styled(f"{name} is suspended", "yellow", f": {message}"))
        if waits_for_a_person and "vessel workflow resume" not in message:
            out.print(f"  resume with: vessel workflow resume {name} -n {namespace}")
    else:
        err.print(styled(f"{name}: {phase}", "red", f" {message}"))


def gave_up(name: str, namespace: str, workflow: dict[str, Any], timeout: str, goes_on: str) -> None:
    """What a wait that ran out of time says: which steps still wait, on what, and what happens next."""
    err.print(Text(f"{name}: gave up waiting after {timeout}; still waiting for:", style="yellow"))
    waiting = waiting_steps(workflow["steps"])
    for step in waiting:
        err.print(Text(f"  {step['name']}: {step['message'] or step['phase']}"))
    if not waiting:
        err.print(
            Text(f"  the workflow ({workflow['phase']}): {workflow['message'] or 'no step has started yet'}")
        )
    err.print(f"{goes_on} Follow it with: vessel status {name} -n {namespace} -w")


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
