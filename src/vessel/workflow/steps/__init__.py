"""Built-in workflow step types. `builtin_steps()` gathers them with plugins (`vessel.steps` entry points)."""

from __future__ import annotations

from importlib import metadata

from vessel.workflow.step_api import StepFunction


def builtin_steps() -> dict[str, StepFunction]:
    from vessel.workflow.steps import (
        configs,
        deploy,
        exports,
        http_steps,
        notification,
        objects,
        suspend,
    )

    steps: dict[str, StepFunction] = {}
    for module in (deploy, suspend, objects, http_steps, notification, configs, exports):
        steps.update(module.STEPS)
    for ep in metadata.entry_points(group="vessel.steps"):
        steps.update(ep.load())
    return steps
