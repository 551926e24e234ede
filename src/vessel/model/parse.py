"""From a YAML document to an `Application`: schema check first, then the rules a schema cannot say.

Those rules: the Application's labels and annotations are valid Kubernetes keys and values (they are
copied onto every object it renders); component, policy and step names are unique; `dependsOn` names
something that exists; inputs name an output someone declares; and the dependency graph (dependsOn plus
inputs) has no cycle.
All problems found are reported together, each with its file, line and field path.

What a cluster wrote into an exported Application (`status`, server metadata) is left out with a note
(`ignored_fields.py`); a policy without a name gets a generated one (`policy_names.py`); `traits:` or
`properties:` with no value is absent (`empty_values.py`).

Which outputs an input may name: a component's, another component's; a step's or sub-step's, any output
declared anywhere in the workflow or by a component (a deploy step publishes its components' outputs).
An input nobody declares would wait forever, so it is refused here, before anything is stored.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from vessel.errors import ValidationError, VesselError, raise_collected
from vessel.model.application import (
    Application,
    Component,
    Input,
    Mode,
    Output,
    Policy,
    Step,
    Trait,
    Workflow,
)
from vessel.model.application_schema import APPLICATION_SCHEMA
from vessel.model.empty_values import without_empty
from vessel.model.frozen import EMPTY, freeze
from vessel.model.graph import find_cycle
from vessel.model.ignored_fields import without_ignored
from vessel.model.kube_names import ANNOTATIONS_MAX, label_value, qualified_name
from vessel.model.paths import Path, dotted_problem
from vessel.model.policy_names import policy_names
from vessel.model.schema_check import check, formats
from vessel.model.strictness import UNKNOWN_PROPERTIES, mode_problem
from vessel.model.yaml_source import Document

if TYPE_CHECKING:
    import jsonschema


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    """Built when the first Application is parsed: reading a stored plan (`parse_step`) never needs it."""
    import jsonschema

    return jsonschema.Draft202012Validator(APPLICATION_SCHEMA, format_checker=formats())


def parse_application(doc: Document) -> Application:
    """Validate and convert one `kind: Application` document."""
    written = without_empty(doc.data)
    check(written, _validator(), doc.source.locate)
    data, notes = without_ignored(written, doc.source)
    spec = data["spec"]
    meta = data["metadata"]
    raw_policies = spec.get("policies", [])
    app = Application(
        name=meta["name"],
        namespace=meta.get("namespace", "default"),
        labels=freeze(meta.get("labels", {})),
        annotations=freeze(meta.get("annotations", {})),
        components=tuple(_component(c, ("spec", "components", i)) for i, c in enumerate(spec["components"])),
        policies=tuple(
            _policy(p, name, ("spec", "policies", i))
            for i, (p, name) in enumerate(zip(raw_policies, policy_names(raw_policies), strict=True))
        ),
        workflow=_workflow(spec["workflow"]) if "workflow" in spec else None,
        document=freeze(data),
        source=doc.source,
        notes=notes,
    )
    problems = [*_metadata_problems(app), *_component_problems(app), *_policy_problems(app)]
    raise_collected([*problems, *_workflow_problems(app)])
    return app


def _io(raw: Mapping[str, Any]) -> tuple[tuple[Input, ...], tuple[Output, ...]]:
    inputs = tuple(Input(i["from"], i.get("parameterKey")) for i in raw.get("inputs", []))
    outputs = tuple(Output(o["name"], o["valueFrom"]) for o in raw.get("outputs", []))
    return inputs, outputs


def _component(raw: Mapping[str, Any], path: Path) -> Component:
    inputs, outputs = _io(raw)
    traits = tuple(
        Trait(t["type"], freeze(t.get("properties") or {}), (*path, "traits", i))
        for i, t in enumerate(raw.get("traits") or [])
    )
    return Component(
        name=raw["name"],
        type=raw["type"],
        properties=freeze(raw.get("properties") or {}),
        traits=traits,
        depends_on=tuple(raw.get("dependsOn", [])),
        inputs=inputs,
        outputs=outputs,
        external_revision=raw.get("externalRevision"),
        path=path,
    )


def _policy(raw: Mapping[str, Any], name: str, path: Path) -> Policy:
    return Policy(name, raw["type"], freeze(raw.get("properties", {})), path)


def parse_step(raw: Mapping[str, Any], path: Path) -> Step:
    inputs, outputs = _io(raw)
    return Step(
        name=raw["name"],
        type=raw["type"],
        properties=freeze(raw.get("properties", {})) if "properties" in raw else EMPTY,
        if_=raw.get("if"),
        timeout=raw.get("timeout"),
        depends_on=tuple(raw.get("dependsOn", [])),
        inputs=inputs,
        outputs=outputs,
        sub_steps=tuple(parse_step(s, (*path, "subSteps", i)) for i, s in enumerate(raw.get("subSteps", []))),
        alias=raw.get("meta", {}).get("alias"),
        path=path,
    )


def _workflow(raw: Mapping[str, Any]) -> Workflow:
    mode = raw.get("mode", {})
    return Workflow(
        steps=tuple(
            parse_step(s, ("spec", "workflow", "steps", i)) for i, s in enumerate(raw.get("steps", []))
        ),
        mode=Mode(mode.get("steps", Mode.STEP_BY_STEP.value)),
        sub_step_mode=Mode(mode.get("subSteps", Mode.DAG.value)),
        ref=raw.get("ref"),
    )


def _error(app: Application, path: Path, message: str) -> ValidationError:
    return ValidationError(message, app.locate(path))


def _duplicates(app: Application, items: Iterable[tuple[str, Path]], what: str) -> list[VesselError]:
    seen: dict[str, Path] = {}
    problems: list[VesselError] = []
    for name, path in items:
        if name in seen:
            problems.append(_error(app, (*path, "name"), f"duplicate {what} name {name!r}"))
        seen[name] = path
    return problems


def _metadata_problems(app: Application) -> list[VesselError]:
    problems: list[VesselError] = []
    for field, checks in (("labels", (qualified_name, label_value)), ("annotations", (qualified_name,))):
        for key, value in getattr(app, field).items():
            path = ("metadata", field, key)
            problems += [_error(app, path, p) for p in (checks[0](key), *(c(value) for c in checks[1:])) if p]
    strictness = mode_problem(app.annotations)
    if strictness:
        problems.append(_error(app, ("metadata", "annotations", UNKNOWN_PROPERTIES), strictness))
    size = sum(len(k) + len(v) for k, v in app.annotations.items())
    if size > ANNOTATIONS_MAX:
        problems.append(
            _error(app, ("metadata", "annotations"), f"{size} bytes, more than Kubernetes' 256 KiB")
        )
    return problems


def _component_problems(app: Application) -> list[VesselError]:
    comps = app.components
    problems = _duplicates(app, ((c.name, c.path) for c in comps), "component")
    problems += _graph_problems(app, comps, "component")
    problems += _unknown_inputs(app, comps, _outputs(comps), "component")
    problems += _parameter_key_problems(app, comps)
    return problems


def _policy_problems(app: Application) -> list[VesselError]:
    return _duplicates(app, ((p.name, p.path) for p in app.policies), "policy")


def _workflow_problems(app: Application) -> list[VesselError]:
    if app.workflow is None:
        return []
    steps = app.workflow.steps
    every = [*steps, *(sub for s in steps for sub in s.sub_steps)]
    problems = _duplicates(app, ((s.name, s.path) for s in every), "workflow step")
    problems += _graph_problems(app, steps, "workflow step")
    for step in steps:
        problems += _graph_problems(app, step.sub_steps, "sub-step")
    declared = _outputs(every) | _outputs(app.components)
    problems += _unknown_inputs(app, every, declared, "step or component")
    problems += _parameter_key_problems(app, every)
    return problems


def _parameter_key_problems(app: Application, nodes: Iterable[Component | Step]) -> list[VesselError]:
    return [
        _error(app, (*node.path, "inputs", i, "parameterKey"), problem)
        for node in nodes
        for i, inp in enumerate(node.inputs)
        if inp.parameter_key is not None
        and (problem := dotted_problem(node.properties, inp.parameter_key)) is not None
    ]


def _outputs(nodes: Iterable[Component | Step]) -> set[str]:
    return {o.name for n in nodes for o in n.outputs}


def _unknown_inputs(
    app: Application, nodes: Iterable[Component | Step], declared: set[str], producers: str
) -> list[VesselError]:
    """Each input must name an output that `producers` declare; else it would wait forever."""
    return [
        _error(
            app,
            (*node.path, "inputs", i, "from"),
            f"no {producers} declares an output named {inp.source!r}"
            + ("" if isinstance(node, Component) else f" (step {node.name!r} would wait for it forever)"),
        )
        for node in nodes
        for i, inp in enumerate(node.inputs)
        if inp.source not in declared
    ]


def _graph_problems(
    app: Application, nodes: Sequence[Component] | Sequence[Step], what: str
) -> list[VesselError]:
    """dependsOn must name a sibling; no cycles (inputs from a sibling count as dependencies)."""
    names = {n.name for n in nodes}
    producers = {o.name: n.name for n in nodes for o in n.outputs}
    edges: dict[str, set[str]] = {n.name: set() for n in nodes}
    problems: list[VesselError] = []
    for node in nodes:
        for i, dep in enumerate(node.depends_on):
            if dep not in names:
                problems.append(
                    _error(app, (*node.path, "dependsOn", i), f"depends on unknown {what} {dep!r}")
                )
            else:
                edges[node.name].add(dep)
        for inp in node.inputs:
            producer = producers.get(inp.source)
            if producer is not None and producer != node.name:
                edges[node.name].add(producer)
    cycle = find_cycle(edges)
    if cycle:
        first = next(n for n in nodes if n.name == cycle[0])
        problems.append(
            _error(app, (*first.path, "dependsOn"), f"dependency cycle: {' -> '.join([*cycle, cycle[0]])}")
        )
    return problems
