"""Health and custom status: a definition's status rules evaluated against live objects.

The engine hands in what the target reports; this stays pure. `context.output` is the live workload,
`context.outputs.<name>` the live auxiliary objects, `parameter` the resolved parameters. A component
whose definition has no `healthPolicy` is healthy once its objects exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.definitions.definition import Definition
from vessel.definitions.template import Status


def evaluate_status(
    definition: Definition,
    live_output: Mapping[str, Any] | None,
    live_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    parameter: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    *,
    live_state: bool = True,
) -> Status:
    """`live_state=False` is for targets that only store objects (a directory): existing is healthy."""
    if live_output is None:
        return Status(False, f"{definition.name}: the workload does not exist yet")
    if not live_state:
        return Status(True, "delivered")
    if definition.status is None:
        return Status(True)
    variables = {
        "context": {**(context or {}), "output": live_output, "outputs": dict(live_outputs or {})},
        "parameter": dict(parameter or {}),
    }
    return definition.status.evaluate(variables)
