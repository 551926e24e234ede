"""Showing a workflow as it runs: one line per change of a step's phase or message.

The steps come from the status document's `workflow` part (`controller.status.workflow_of`), in the
plan's order, sub-steps after their group. Rich styles the lines on a terminal and prints them plain
otherwise (logs, CI), so `up --wait` output is readable either way and never redraws. The lines are
`cli/step_lines.py`'s, which a remote command following a server's run prints too.
"""

from __future__ import annotations

from rich.console import Console

from vessel.cli.step_lines import StepLines
from vessel.controller.controller import Controller
from vessel.controller.status import workflow_of
from vessel.store.records import AppRecord, RunRecord


class Progress:
    def __init__(self, controller: Controller, console: Console):
        self.controller = controller
        self.lines = StepLines(console)

    def __call__(self, app: AppRecord, run: RunRecord | None) -> None:
        if run is not None:
            self.lines(run.id, workflow_of(self.controller, run))
