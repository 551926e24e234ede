"""One line per change of a workflow step's phase or message, from the status document's `workflow`
part: what `up --wait` prints while the workflow runs, driven here (`cli/progress.py`) or by a server.

Driven here, the lines are taken once per round of the engine, so a step that starts and finishes within
one round is shown finished only, and a step is shown running when a round ends while it waits — for a
component to become healthy, for a retry — saying for what. Following a server, the lines are taken
every poll, which may fall anywhere in a round: `steady` then shows a running step only when it says
what it waits for, and once two polls in a row saw it so — what lasts is shown, what flickers past is
not, as when driven here.
"""

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
    def __init__(self, console: Console, *, steady: bool = False):
        self.console = console
        self.steady = steady
        self.seen: dict[tuple[Any, str], tuple[str, str]] = {}
        self.glimpsed: dict[tuple[Any, str], tuple[str, str]] = {}  # the previous poll's, with `steady`

    def __call__(self, run: Any, workflow: dict[str, Any]) -> None:
        """Print each step of `workflow` (of run `run`) whose phase or message changed since last time."""
        for step in _flat(workflow["steps"]):
            key, state = (run, step["name"]), (step["phase"], step["message"])
            glimpsed, self.glimpsed[key] = self.glimpsed.get(key), state
            if step["phase"] == StepPhase.PENDING or self.seen.get(key) == state:
                continue
            if (
                self.steady
                and step["phase"] == StepPhase.RUNNING
                and (not step["message"] or glimpsed != state)
            ):
                continue  # under way: shown if it waits for something, and the next poll still sees it so
            self.seen[key] = state
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
