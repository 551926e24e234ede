"""Showing a workflow as it runs: one line per change of a step's phase or message.

Rich styles the lines on a terminal and prints them plain otherwise (logs, CI), so `up --wait` output is
readable either way and never redraws.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from vessel.controller.controller import Controller
from vessel.store.records import AppRecord, RunRecord, StepPhase
from vessel.workflow.plan import Plan

_STYLE = {
    StepPhase.SUCCEEDED: "green",
    StepPhase.FAILED: "red",
    StepPhase.SKIPPED: "dim",
    StepPhase.SUSPENDING: "yellow",
    StepPhase.RUNNING: "cyan",
}


class Progress:
    def __init__(self, controller: Controller, console: Console):
        self.controller = controller
        self.console = console
        self.seen: dict[tuple[int, str], tuple[str, str]] = {}

    def __call__(self, app: AppRecord, run: RunRecord | None) -> None:
        if run is None:
            return
        records = self.controller.store.steps(run.id)
        order = [step.name for step, _ in Plan.from_json(run.steps).all_steps()]
        for record in sorted(records.values(), key=lambda r: order.index(r.name) if r.name in order else 0):
            state = (record.phase, record.message)
            if record.phase == StepPhase.PENDING or self.seen.get((run.id, record.name)) == state:
                continue
            self.seen[(run.id, record.name)] = state
            line = Text(f"  {record.name:<24} ")
            line.append(record.phase, style=_STYLE.get(record.phase, ""))
            if record.message:
                line.append(f"  {record.message}")
            self.console.print(line)
