"""Built-in workflow step types. `builtin_steps()` gathers them with plugins (`vessel.steps` entry points)."""

from __future__ import annotations

from importlib import metadata

from vessel.workflow.step_api import StepFunction


def builtin_steps() -> dict[str, StepFunction]:
    from vessel.workflow.steps import (
        apply_deployment,
        configs,
        deploy,
        exports,
        http_steps,
        jdbc_connection,
        jobs,
        notification,
        objects,
        service_endpoints,
        suspend,
        whole_app,
    )

    steps: dict[str, StepFunction] = {}
    for module in (
        deploy,
        suspend,
        objects,
        http_steps,
        notification,
        configs,
        exports,
        service_endpoints,
        whole_app,
        jobs,
        apply_deployment,
        jdbc_connection,
    ):
        steps.update(module.STEPS)
    for ep in metadata.entry_points(group="vessel.steps"):
        steps.update(ep.load())
    return steps
