"""The effective workflow of a revision: the Application's own, or the default one.

Default (DESIGN.md): one `deploy2env` step per env of each `envbinding` policy (KubeVela's generator
does the same; named `deploy-<policy>-<env>`); else one `deploy` step per topology policy (each also
applying every override policy); without a topology policy but with override policies (or a
`ref-objects` component), one `deploy` step to the default target applying every override policy —
KubeVela's generator does the same, so an override is never silently ignored; else one
`apply-component` step per component, in DAG mode honouring `dependsOn` and the dependencies component
inputs imply (a component taking another's output is applied after it). A `spec.workflow.ref` must
have been resolved when the Application was read (`model/references.py`): an unresolved one is an
error here, never the default workflow in its place. The plan is stored with the run as plain data, so
a run always executes the workflow it started with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.errors import ValidationError
from vessel.model.application import Application, Component, Mode, Policy, Step
from vessel.model.frozen import thaw
from vessel.model.parse import parse_step

STEP_GROUP = "step-group"  # the step type that holds sub-steps
DEPLOYED_WHOLE = ("ref-objects",)  # component types KubeVela deploys with a deploy step, never alone


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    mode: Mode
    sub_step_mode: Mode

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "subStepMode": self.sub_step_mode.value,
            "steps": [step_to_json(s) for s in self.steps],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        steps = tuple(parse_step(s, ("workflow", "steps", i)) for i, s in enumerate(data["steps"]))
        return cls(steps, Mode(data["mode"]), Mode(data["subStepMode"]))

    def all_steps(self) -> list[tuple[Step, str | None]]:
        """Every step with its parent group's name (None at the top)."""
        return [(s, None) for s in self.steps] + [(sub, s.name) for s in self.steps for sub in s.sub_steps]


def plan_for(app: Application) -> Plan:
    if app.workflow and app.workflow.ref:
        raise ValidationError(
            f"the workflow Workflow {app.workflow.ref!r} names was never resolved",
            app.locate(("spec", "workflow", "ref")),
            hint="read the Application with the files that hold it (vessel up -f app.yaml -f workflow.yaml)",
        )
    if app.workflow and app.workflow.steps:
        return Plan(app.workflow.steps, app.workflow.mode, app.workflow.sub_step_mode)
    bindings = [p for p in app.policies if p.type == "envbinding"]
    if bindings:
        return Plan.from_json({"mode": "StepByStep", "subStepMode": "DAG", "steps": _deploy2env(bindings)})
    topologies = [p for p in app.policies if p.type == "topology"]
    overrides = [p.name for p in app.policies if p.type == "override"]
    if topologies:
        steps = [
            {"name": f"deploy-{p.name}", "type": "deploy", "properties": {"policies": [p.name, *overrides]}}
            for p in topologies
        ]
        return Plan.from_json({"mode": "StepByStep", "subStepMode": "DAG", "steps": steps})
    if overrides or any(c.type in DEPLOYED_WHOLE for c in app.components):
        steps = [{"name": "deploy", "type": "deploy", "properties": {"policies": overrides}}]
        return Plan.from_json({"mode": "StepByStep", "subStepMode": "DAG", "steps": steps})
    steps = [_apply_component(c, app.components) for c in app.components]
    return Plan.from_json({"mode": "DAG", "subStepMode": "DAG", "steps": steps})


def _deploy2env(bindings: Sequence[Policy]) -> list[dict[str, Any]]:
    return [
        {
            "name": f"deploy-{p.name}-{e['name']}",
            "type": "deploy2env",
            "properties": {"policy": p.name, "env": e["name"]},
        }
        for p in bindings
        for e in p.properties.get("envs", ())
    ]


def _apply_component(comp: Component, components: Sequence[Component]) -> dict[str, Any]:
    producers = {o.name: c.name for c in components for o in c.outputs}
    implied = [producers[i.source] for i in comp.inputs if i.source in producers]
    needs = [n for n in dict.fromkeys((*comp.depends_on, *implied)) if n != comp.name]
    step = {"name": comp.name, "type": "apply-component", "properties": {"component": comp.name}}
    return {**step, "dependsOn": needs} if needs else step


def step_to_json(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"name": step.name, "type": step.type}
    if step.properties:
        out["properties"] = thaw(step.properties)
    if step.if_ is not None:
        out["if"] = step.if_
    if step.timeout is not None:
        out["timeout"] = step.timeout
    if step.depends_on:
        out["dependsOn"] = list(step.depends_on)
    if step.inputs:
        out["inputs"] = [
            {"from": i.source, **({"parameterKey": i.parameter_key} if i.parameter_key else {})}
            for i in step.inputs
        ]
    if step.outputs:
        out["outputs"] = [{"name": o.name, "valueFrom": o.value_from} for o in step.outputs]
    if step.alias:
        out["meta"] = {"alias": step.alias}
    if step.sub_steps:
        out["subSteps"] = [step_to_json(s) for s in step.sub_steps]
    return out
