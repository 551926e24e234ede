"""Rendering one definition on its own, for authors: `vessel def render` and `vessel def vet`.

A component definition renders as the only component of a throwaway Application. A trait definition
renders against a sample workload (a one-container Deployment named after the component), so an author
sees the patch applied and any outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.definitions.definition import Definition, Kind
from vessel.definitions.loader import load_definition
from vessel.definitions.parameters import Parameters
from vessel.definitions.registry import Registry
from vessel.errors import DefinitionError
from vessel.model.application import Application, Component, Trait
from vessel.model.frozen import freeze
from vessel.model.yaml_source import Document, SourceMap
from vessel.render.component import RenderedComponent, render_component
from vessel.render.context import RenderOptions

SAMPLE_APP = "sample-app"
SAMPLE_COMPONENT = "sample"
_SAMPLE_WORKLOAD = "vessel-sample-deployment"
_SAMPLE_TEMPLATE = """\
output:
  apiVersion: apps/v1
  kind: Deployment
  spec:
    selector:
      matchLabels:
        app.oam.dev/component: {{ context.name }}
    template:
      metadata:
        labels:
          app.oam.dev/component: {{ context.name }}
      spec:
        containers:
          - name: {{ context.name }}
            image: nginx
"""


def preview(
    definition: Definition,
    properties: Mapping[str, Any],
    registry: Registry,
    options: RenderOptions | None = None,
) -> RenderedComponent:
    """Render `definition` with `properties` (a component alone, or a trait on a sample Deployment)."""
    if definition.kind == Kind.COMPONENT:
        comp = Component(SAMPLE_COMPONENT, definition.name, freeze(properties), path=("component",))
    elif definition.kind == Kind.TRAIT:
        registry = _with_sample_workload(registry)
        trait = Trait(definition.name, freeze(properties), path=("trait",))
        comp = Component(SAMPLE_COMPONENT, _SAMPLE_WORKLOAD, traits=(trait,), path=("component",))
    else:
        raise DefinitionError(
            f"{definition.kind.value} {definition.name!r} has no template to render; "
            "its behaviour is built into the engine"
        )
    app = Application(SAMPLE_APP, (comp,))
    return render_component(app, comp, registry, options)


def _with_sample_workload(registry: Registry) -> Registry:
    doc = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "ComponentDefinition",
        "metadata": {"name": _SAMPLE_WORKLOAD},
        "spec": {
            "workload": {
                "definition": {"apiVersion": "apps/v1", "kind": "Deployment"},
                "type": "deployments.apps",
            },
            "schematic": {"jinja": {"templates": {"kubernetes": _SAMPLE_TEMPLATE}}},
        },
    }
    copy = Registry(registry.all())
    copy.add(load_definition(Document(doc, SourceMap("<sample workload>")), "vessel"))
    return copy


def example_properties(parameters: Parameters) -> dict[str, Any]:
    """Values for required fields without defaults (conditional ones too), so a definition can render
    with its defaults alone: `vessel def vet`."""
    props: dict[str, Any] = {}
    for _ in range(20):
        missing = parameters.missing_required(props)
        if not missing:
            break
        for path, schema in missing:
            _assign(props, path, _example(schema))
    return props


def _assign(target: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(part, {})
        elif isinstance(target, list) and isinstance(part, int) and part < len(target):
            target = target[part]
        else:
            return
    if isinstance(target, dict):
        target.setdefault(path[-1], value)


def _example(schema: Mapping[str, Any]) -> Any:
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "array" and schema.get("minItems"):
        return [_example(schema.get("items", {})) for _ in range(schema["minItems"])]
    examples: dict[str, Any] = {
        "string": "example",
        "integer": max(1, schema.get("minimum", 1)),
        "number": 1,
        "boolean": False,
        "object": {},
        "array": [],
        "null": None,
    }
    return examples.get(str(kind), "example")
