"""Built-in workflow step types. `builtin_steps()` gathers them with plugins (`vessel.steps` entry points);
a `StepTable` gathers them when a step first runs (a controller that only reads never runs one, and
importing every step type's module costs a command noticeable time)."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import metadata

from vessel.workflow.step_api import StepFunction


class StepTable(MutableMapping[str, StepFunction]):
    """`builtin_steps()`, gathered on first use."""

    def __init__(self) -> None:
        self._steps: dict[str, StepFunction] | None = None

    def _all(self) -> dict[str, StepFunction]:
        if self._steps is None:
            self._steps = builtin_steps()
        return self._steps

    def __getitem__(self, name: str) -> StepFunction:
        return self._all()[name]

    def __setitem__(self, name: str, function: StepFunction) -> None:
        self._all()[name] = function

    def __delitem__(self, name: str) -> None:
        del self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def builtin_steps() -> dict[str, StepFunction]:
    from vessel.workflow.steps import (
        apply_deployment,
        configs,
        deploy,
        deploy2env,
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
        deploy2env,
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
