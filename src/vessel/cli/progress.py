"""Showing a workflow as it runs: one line per change of a step's phase or message.

The steps come from the status document's `workflow` part (`controller.status.workflow_of`), in the
plan's order, sub-steps after their group. Rich styles the lines on a terminal and prints them plain
otherwise (logs, CI), so `up --wait` output is readable either way and never redraws.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.text import Text

from vessel.controller.controller import Controller
from vessel.controller.status import workflow_of
from vessel.store.records import AppRecord, RunRecord, StepPhase

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
        for step in _flat(workflow_of(self.controller, run)["steps"]):
            state = (step["phase"], step["message"])
            if step["phase"] == StepPhase.PENDING or self.seen.get((run.id, step["name"])) == state:
                continue
            self.seen[(run.id, step["name"])] = state
            self.console.print(line(step))


def line(step: dict[str, Any]) -> Text:
    text = Text(f"  {step['name']:<24} ")
    text.append(step["phase"], style=_STYLE.get(step["phase"], ""))
    if step["message"]:
        text.append(f"  {step['message']}")
    return text


def _flat(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for step in steps:
        yield step
        yield from step["subSteps"]
