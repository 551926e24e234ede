"""`if` on workflow steps: `always`, or an expression over `status.<step>` and `inputs.<name>`.

`status.<step>` has `phase`, `reason`, `message`, `succeeded`, `failed`, `skipped`, `timeout` and
`failedAfterRetries`, as in KubeVela (`if: status.deploy.succeeded`, `if: status.deploy.reason == "Timeout"`,
`if: inputs.approved == "yes"`). Conditions are bounded expressions (`definitions/expressions.py`),
checked when the Application is submitted; a condition that fails or goes over a cap fails its step
with a message naming the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

from vessel.definitions.bounded_check import NotBounded
from vessel.definitions.expressions import EvaluationFailed, condition
from vessel.errors import OverCapError, ValidationError
from vessel.store.records import StepPhase, StepRecord

ALWAYS = "always"


def step_status(records: Mapping[str, StepRecord]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "phase": r.phase,
            "reason": r.reason,
            "succeeded": r.phase == StepPhase.SUCCEEDED,
            "failed": r.phase == StepPhase.FAILED,
            "skipped": r.phase == StepPhase.SKIPPED,
            "timeout": r.reason == "Timeout",
            "failedAfterRetries": r.reason == "FailedAfterRetries",
            "message": r.message,
        }
        for name, r in records.items()
    }


def holds(expression: str, status: Mapping[str, Any], inputs: Mapping[str, Any], step: str = "") -> bool:
    """Whether a step's `if` allows it to run (`always` is handled by the caller)."""
    who = f"step {step}: " if step else ""
    try:
        result = condition(expression).evaluate({"status": dict(status), "inputs": dict(inputs)})
    except NotBounded as exc:
        raise ValidationError(f"{who}if: cannot parse {expression!r}: {exc}") from None
    except EvaluationFailed as exc:
        if exc.over_cap:
            raise OverCapError(f"{who}if expression {expression!r}: {exc}") from None
        raise ValidationError(f"{who}if: cannot evaluate {expression!r}: {exc}") from None
    return bool(result) and not isinstance(result, jinja2.Undefined)
