"""One line per change of a workflow step's phase or message, from the status document's `workflow`
part: what `up --wait` prints while the workflow runs, driven here (`cli/progress.py`) or by a server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.text import Text

from vessel.store.records import StepPhase

_STYLE = {
    StepPhase.SUCCEEDED: "green",
    StepPhase.FAILED: "red",
    StepPhase.SKIPPED: "dim",
    StepPhase.SUSPENDING: "yellow",
    StepPhase.RUNNING: "cyan",
}


class StepLines:
    def __init__(self, console: Console):
        self.console = console
        self.seen: dict[tuple[Any, str], tuple[str, str]] = {}

    def __call__(self, run: Any, workflow: dict[str, Any]) -> None:
        """Print each step of `workflow` (of run `run`) whose phase or message changed since last time."""
        for step in _flat(workflow["steps"]):
            state = (step["phase"], step["message"])
            if step["phase"] == StepPhase.PENDING or self.seen.get((run, step["name"])) == state:
                continue
            self.seen[(run, step["name"])] = state
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
