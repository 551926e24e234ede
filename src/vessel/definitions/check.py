"""Checks of an Application against the definitions it names, before anything renders.

Rendering validates component and trait properties as it goes; this pass covers what rendering does not
touch (policy and workflow-step properties) and reports every unknown type at once. It also checks every
expression the Application carries (`if`, `outputs[].valueFrom`) against the bounded language
(`bounded_check.py`), so a loop or a disallowed filter is refused at submit, with its field, instead of
failing a step later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vessel.definitions.bounded_check import NotBounded
from vessel.definitions.definition import Kind
from vessel.definitions.expressions import condition, expression
from vessel.definitions.registry import Registry
from vessel.errors import ValidationError, VesselError, collecting, raise_collected
from vessel.model.application import Application, Output, Step
from vessel.model.paths import Path

ALWAYS = "always"
EXPRESSION_HINT = "expressions are loop-free Jinja with whitelisted filters and methods (docs/definitions.md)"


@dataclass(frozen=True)
class _Use:
    """One place the Application names a definition: its kind, type, path and (maybe) properties."""

    kind: Kind
    type: str
    path: Path
    properties: Mapping[str, Any] | None


def check_application(app: Application, registry: Registry) -> None:
    """Raise every problem found with types and policy/step properties (MultipleErrors if several)."""
    problems: list[VesselError] = []
    for use in _uses(app):
        with collecting(problems):
            definition = registry.get(use.kind, use.type, app.where((*use.path, "type")))
            if definition.refused:
                raise ValidationError(
                    f"{definition.kind.noun} type {use.type!r} is not supported by Vessel",
                    app.where((*use.path, "type")),
                    hint=definition.refused,
                )
            if use.properties is not None:
                definition.parameters.resolve(use.properties, app.locator((*use.path, "properties")))
    with collecting(problems):
        check_expressions(app)
    raise_collected(problems)


def check_expressions(app: Application) -> None:
    """Raise a ValidationError (naming the field) for each expression outside the bounded language."""
    problems: list[VesselError] = []
    for path, source, compile_ in _expressions(app):
        try:
            compile_(source)
        except NotBounded as exc:
            line = f" (line {exc.lineno} of the expression)" if exc.lineno and exc.lineno > 1 else ""
            problems.append(ValidationError(f"{exc}{line}", app.where(path), hint=EXPRESSION_HINT))
    raise_collected(problems)


Compile = Callable[[str], Any]


def _expressions(app: Application) -> Iterator[tuple[Path, str, Compile]]:
    for comp in app.components:
        yield from _outputs(comp.path, comp.outputs)
    for step in app.workflow.steps if app.workflow else ():
        for one in (step, *step.sub_steps):
            yield from _step_expressions(one)


def _step_expressions(step: Step) -> Iterator[tuple[Path, str, Compile]]:
    if step.if_ and step.if_ != ALWAYS:
        yield (*step.path, "if"), step.if_, condition
    yield from _outputs(step.path, step.outputs)


def _outputs(path: Path, outputs: tuple[Output, ...]) -> Iterator[tuple[Path, str, Compile]]:
    for i, out in enumerate(outputs):
        yield (*path, "outputs", i, "valueFrom"), out.value_from, expression


def _uses(app: Application) -> Iterator[_Use]:
    for comp in app.components:
        yield _Use(Kind.COMPONENT, comp.type, comp.path, None)  # properties: checked when rendering
        for trait in comp.traits:
            yield _Use(Kind.TRAIT, trait.type, trait.path, None)
    for policy in app.policies:
        yield _Use(Kind.POLICY, policy.type, policy.path, policy.properties)
    for step in app.workflow.steps if app.workflow else ():
        yield _Use(Kind.WORKFLOW_STEP, step.type, step.path, step.properties)
        for sub in step.sub_steps:
            yield _Use(Kind.WORKFLOW_STEP, sub.type, sub.path, sub.properties)
