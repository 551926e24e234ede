"""Writing definitions in Python, for plugins that register them under the `vessel.definitions` entry point.

    # my_plugin.py
    from vessel.definitions import Kind, python_definition

    def render(parameter, context):
        return {"patch": {"spec": {"paused": parameter["paused"]}}}

    PAUSED = {"type": "object", "properties": {"paused": {"type": "boolean", "default": True}}}
    DEFINITIONS = [python_definition(Kind.TRAIT, "pause", render, PAUSED)]

    # pyproject.toml of the plugin package
    [project.entry-points."vessel.definitions"]
    my-plugin = "my_plugin:DEFINITIONS"

The function receives the validated `parameter` (defaults applied) and the same `context` a Jinja2
template sees, and returns the same result shape (`output`/`outputs`, or `patch`/`outputs`…).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vessel.definitions.definition import Definition, Kind, Workload
from vessel.definitions.loader import digest
from vessel.definitions.parameters import Parameters
from vessel.definitions.template import PythonTemplate
from vessel.errors import Location

RenderFunction = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def python_definition(
    kind: Kind,
    name: str,
    render: RenderFunction,
    parameters: Mapping[str, Any] | None = None,
    *,
    description: str = "",
    target_types: tuple[str, ...] = ("kubernetes",),
    workload: Workload | None = None,
    applies_to_workloads: tuple[str, ...] = (),
) -> Definition:
    """A definition whose template is a Python function."""
    origin = f"python {render.__module__}.{render.__qualname__}"
    template = PythonTemplate(render, name)
    return Definition(
        kind=kind,
        name=name,
        parameters=Parameters(parameters, Location(origin)),
        templates=dict.fromkeys(target_types, template),
        description=description,
        workload=workload,
        applies_to_workloads=applies_to_workloads,
        origin=origin,
        digest=digest({"kind": kind.value, "name": name, "origin": origin, "parameters": parameters or {}}),
    )
