"""An Application resolved against the standalone `Policy` and `Workflow` objects it refers to.

KubeVela's rules (`standalone.py` says where the objects come from):

- `spec.workflow.ref: NAME` runs the steps (and mode) of the Workflow named NAME; an Application that
  has both `ref` and `steps` is refused, as KubeVela refuses it;
- a `deploy` step (or sub-step) that names a policy `spec.policies` does not declare applies the Policy
  object of that name;
- a name that resolves to nothing is an error naming the field, the name, and what to pass.

The resolved Application is read again from one document — the user's, with the referenced steps and
policies written in — so every check (unique step names, inputs, cycles) covers the whole, its revision
snapshots the whole, and errors inside the borrowed parts still point at the file and line they came
from (`SourceMap.grafted`). Standalone objects no Application refers to are named in a note, as
`vela dry-run` warns about them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from vessel.errors import Location, ValidationError
from vessel.model.application import Application
from vessel.model.frozen import thaw
from vessel.model.parse import parse_application
from vessel.model.paths import Path
from vessel.model.standalone import API_VERSION, StandalonePolicy, StandaloneWorkflow
from vessel.model.yaml_source import Document

PASS_IT = "pass the file that holds it with another -f"


@dataclass(frozen=True)
class Standalone:
    """The standalone objects read with the Applications of one command."""

    policies: tuple[StandalonePolicy, ...] = ()
    workflows: tuple[StandaloneWorkflow, ...] = ()


def resolve(app: Application, found: Standalone) -> tuple[Application, set[str]]:
    """`app` with its workflow reference and undeclared deploy policies resolved, and the names of the
    standalone objects it used (`Policy/NAME`, `Workflow/NAME`)."""
    ref = app.workflow.ref if app.workflow else None
    data = thaw(app.document)
    spec = data["spec"]
    source = app.source
    used: set[str] = set()
    if ref is not None:
        workflow = _workflow(app, ref, found)
        spec["workflow"] = {**workflow.document, **_mode(spec["workflow"])}
        source = source.grafted(("spec", "workflow"), workflow.source)
        used.add(f"Workflow/{ref}")
    declared = {p.name for p in app.policies}
    for name, path in _deploy_policies(spec.get("workflow", {})):
        if name in declared:
            continue
        policy = _policy(app, name, source.locate(path), found)
        source = source.grafted(("spec", "policies", len(spec.setdefault("policies", []))), policy.source)
        spec["policies"].append(policy.document)
        declared.add(name)
        used.add(f"Policy/{name}")
    if not used:
        return app, used
    return replace(parse_application(Document(data, source)), notes=app.notes), used


def unused_notes(found: Standalone, used: set[str]) -> list[str]:
    """A note for each standalone object no Application refers to: it is read, and does nothing."""
    objects = [*(("Policy", p.name, p.source) for p in found.policies)]
    objects += [("Workflow", w.name, w.source) for w in found.workflows]
    return [
        f"{source.locate(('metadata', 'name'))}: {kind} {name!r} is not referred to by any Application: "
        "ignored"
        for kind, name, source in objects
        if f"{kind}/{name}" not in used
    ]


def _mode(workflow: Mapping[str, Any]) -> dict[str, Any]:
    """The Application's own `mode`, which wins over the Workflow's (KubeVela reads the Workflow's only
    when the Application gives none)."""
    return {"mode": workflow["mode"]} if "mode" in workflow else {}


def _workflow(app: Application, ref: str, found: Standalone) -> StandaloneWorkflow:
    assert app.workflow is not None
    if app.workflow.steps:
        raise ValidationError(
            "a workflow has either steps or a ref, not both",
            app.locate(("spec", "workflow", "ref")),
            hint="remove ref to run these steps, or remove steps to run the Workflow it names",
        )
    for workflow in found.workflows:
        if workflow.name == ref and workflow.serves(app.namespace):
            return workflow
    raise ValidationError(
        f"names Workflow {ref!r}, which none of the given files holds (in namespace {app.namespace!r})",
        app.locate(("spec", "workflow", "ref")),
        hint=f"{PASS_IT} (a `kind: Workflow`, apiVersion {API_VERSION})",
    )


def _policy(app: Application, name: str, where: Location, found: Standalone) -> StandalonePolicy:
    for policy in found.policies:
        if policy.name == name and policy.serves(app.namespace):
            return policy
    raise ValidationError(
        f"names policy {name!r}, which neither spec.policies nor a Policy object in the given files declares",
        where,
        hint=f"declare it in spec.policies, or {PASS_IT} (a `kind: Policy`, apiVersion {API_VERSION})",
    )


def _deploy_policies(workflow: Mapping[str, Any]) -> Iterator[tuple[str, Path]]:
    """Each policy name a deploy step or sub-step gives, with its path in the Application."""
    for i, step in enumerate(workflow.get("steps", ())):
        path: Path = ("spec", "workflow", "steps", i)
        yield from _named_by(step, path)
        for j, sub in enumerate(step.get("subSteps", ())):
            yield from _named_by(sub, (*path, "subSteps", j))


def _named_by(step: Mapping[str, Any], path: Path) -> Iterator[tuple[str, Path]]:
    names = (step.get("properties") or {}).get("policies") if step.get("type") == "deploy" else None
    if isinstance(names, Sequence) and not isinstance(names, str):
        for k, name in enumerate(names):
            if isinstance(name, str):
                yield name, (*path, "properties", "policies", k)
