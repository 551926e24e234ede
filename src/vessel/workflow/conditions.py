"""`if` on workflow steps: `always`, or an expression over `status.<step>` and `inputs.<name>`.

`status.<step>` has `phase`, `reason`, `message`, `succeeded`, `failed`, `skipped`, `timeout` and
`failedAfterRetries`, as in KubeVela (`if: status.deploy.succeeded`, `if: status.deploy.reason == "Timeout"`,
`if: inputs.approved == "yes"`). Expressions run in the same sandbox as
status rules; a broken expression fails the step with its message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2

from vessel.definitions.sandbox import DEFAULT_LIMITS, STATUS_ENV, evaluate_with_limits
from vessel.errors import ValidationError
from vessel.store.records import StepPhase, StepRecord

ALWAYS = "always"
_DASHED = re.compile(r"\b(status|inputs)\.([A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)+)")


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


def holds(expression: str, status: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    """Whether a step's `if` allows it to run (`always` is handled by the caller)."""
    # Step names may contain dashes: `status.deploy-prod.phase` means status["deploy-prod"].phase.
    source = _DASHED.sub(lambda m: f'{m.group(1)}["{m.group(2)}"]', expression)
    try:
        compiled = STATUS_ENV.compile_expression(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(f"if: cannot parse {expression!r}: {exc.message}") from None
    try:
        result = evaluate_with_limits(
            compiled, {"status": dict(status), "inputs": dict(inputs)}, DEFAULT_LIMITS
        )
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        raise ValidationError(f"if: cannot evaluate {expression!r}: {exc}") from None
    return bool(result) and not isinstance(result, jinja2.Undefined)
