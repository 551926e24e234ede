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
        jobs,
        notification,
        objects,
        service_endpoints,
        suspend,
        whole_app,
    )

    steps: dict[str, StepFunction] = {}
    modules = (deploy, suspend, objects, http_steps, notification, configs, exports, service_endpoints)
    for module in (*modules, whole_app, jobs):
        steps.update(module.STEPS)
    for ep in metadata.entry_points(group="vessel.steps"):
        steps.update(ep.load())
    return steps
