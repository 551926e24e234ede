"""Whether a pending step may start — the one place KubeVela's skip rules live, as a pure decision.

- No `if`: skipped once a step upstream of it has failed. Upstream means every earlier sibling in
  StepByStep mode, and only the step's transitive dependencies (`dependsOn` and those its inputs imply) in
  DAG mode — an independent branch of a DAG goes on after another branch fails.
- `if: always`: runs whatever failed before it.
- Any other `if`: judged on its own, even after a failure (that is what `if: status.deploy.failed` is
  for); false skips the step, an expression that cannot be evaluated fails it.
- Inputs come first, since an `if` may read them: the step waits while an input is not published yet,
  and fails (reason `Input`) when the step that should publish it finished without doing so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.errors import VesselError
from vessel.model.application import Mode, Step
from vessel.model.graph import dependencies
from vessel.store.records import StepPhase, StepRecord
from vessel.workflow.conditions import ALWAYS, holds, step_status

START, WAIT, SKIP, FAIL = "start", "wait", "skip", "fail"


@dataclass(frozen=True)
class Gate:
    verdict: str  # start | wait | skip | fail
    message: str = ""
    reason: str = ""


def gate(
    step: Step,
    siblings: Sequence[Step],
    mode: Mode,
    records: Mapping[str, StepRecord],
    values: Mapping[str, Any],
    producers: Mapping[str, str],
) -> Gate:
    """Decide what a pending step does now. `producers` maps every output name to its step's name."""
    if not step.if_:
        failed = _failed_upstream(step, siblings, mode, records)
        if failed is not None:
            return Gate(SKIP, f"skipped: step {failed} failed", "Skip")
    waiting = _missing_input(step, records, values, producers)
    if waiting is not None:
        return waiting
    if step.if_ and step.if_ != ALWAYS:
        return _condition(step, records, values)
    return Gate(START)


def _failed_upstream(
    step: Step, siblings: Sequence[Step], mode: Mode, records: Mapping[str, StepRecord]
) -> str | None:
    upstream = _upstream(step, siblings, mode)
    return next((name for name in upstream if records[name].phase == StepPhase.FAILED), None)


def _upstream(step: Step, siblings: Sequence[Step], mode: Mode) -> list[str]:
    """Every earlier sibling in StepByStep mode, and the transitive dependencies in either mode."""
    by_name = {s.name: s for s in siblings}
    names = list(by_name)
    seen = dict.fromkeys(names[: names.index(step.name)] if mode == Mode.STEP_BY_STEP else [])
    todo = [step]
    while todo:
        for name in dependencies(todo.pop(), siblings):
            if name not in seen:
                seen[name] = None
                todo.append(by_name[name])
    return list(seen)


def _missing_input(
    step: Step, records: Mapping[str, StepRecord], values: Mapping[str, Any], producers: Mapping[str, str]
) -> Gate | None:
    for inp in step.inputs:
        if inp.source in values:
            continue
        producer = producers.get(inp.source)
        if producer is not None and records[producer].done:
            record = records[producer]
            detail = f": {record.message}" if record.message else ""
            return Gate(
                FAIL,
                f"input {inp.source!r} was never published (step {producer} {record.phase}{detail})",
                "Input",
            )
        source = f" from step {producer}" if producer else ""
        return Gate(WAIT, f"waiting for input {inp.source!r}{source}")
    return None


def _condition(step: Step, records: Mapping[str, StepRecord], values: Mapping[str, Any]) -> Gate:
    assert step.if_ is not None
    try:
        allowed = holds(step.if_, step_status(records), values, step.name)
    except VesselError as exc:
        return Gate(FAIL, exc.render(), "Condition")
    return Gate(START) if allowed else Gate(SKIP, f"if: {step.if_} is false", "Skip")
