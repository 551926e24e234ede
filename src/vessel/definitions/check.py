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
from vessel.definitions.parameters import Parameters
from vessel.definitions.registry import Registry
from vessel.errors import MultipleErrors, ValidationError, VesselError, collecting, raise_collected
from vessel.model.application import Application, Output, Step
from vessel.model.env_bindings import deploy2env_steps, env_of
from vessel.model.paths import Path, format_path
from vessel.model.schema_check import REQUIRED_MISSING

ALWAYS = "always"
EXPRESSION_HINT = "expressions are loop-free Jinja with whitelisted filters and methods (docs/definitions.md)"
# KubeVela's valueFrom is a path into the step's CUE template (`output.$returns.value…`); Vessel's reads the
# outputs the step declares.
CUE_PATH_HINT = (
    "`$returns` is a path inside KubeVela's CUE template; Vessel's valueFrom reads the outputs the step "
    "declares (`vessel def show TYPE` lists them), e.g. read-object's `value.data.key`"
)


@dataclass(frozen=True)
class _Use:
    """One place the Application names a definition: its kind, type, path and properties, whether those
    are checked here (component and trait properties are checked when rendering), and the fields of
    those properties a step's inputs fill in when it runs (`parameterKey`)."""

    kind: Kind
    type: str
    path: Path
    properties: Mapping[str, Any]
    checked_here: bool = True
    supplied: tuple[str, ...] = ()

    def supplies(self, problem: VesselError) -> bool:
        """Whether `problem` is a required field an input fills in (or an object on the way to one)."""
        where = problem.location.path
        return problem.message == REQUIRED_MISSING and any(
            key == where or key.startswith(f"{where}.") for key in self.supplied
        )


def check_application(app: Application, registry: Registry) -> None:
    """Raise every problem found with types and policy/step properties (MultipleErrors if several).

    A step's required parameter that one of its inputs supplies (`parameterKey`) is not missing: it is
    checked when the step runs, after its inputs are resolved (as KubeVela does); every other rule on
    the properties written in the file holds here."""
    problems: list[VesselError] = []
    for use in uses(app):
        with collecting(problems):
            definition = registry.get(use.kind, use.type, app.where((*use.path, "type")))
            if definition.refused:
                raise ValidationError(
                    f"{definition.kind.noun} type {use.type!r} is not supported by Vessel",
                    app.where((*use.path, "type")),
                    hint=definition.refused,
                )
            if use.checked_here:
                _check_properties(app, use, definition.parameters)
    with collecting(problems):
        check_expressions(app)
    for step in deploy2env_steps(app) if not problems else ():  # the envs read are well-formed then
        with collecting(problems):
            if not _supplied(step):  # else checked when it runs, with its inputs resolved
                env_of(app, step)
    raise_collected(problems)


def _check_properties(app: Application, use: _Use, parameters: Parameters) -> None:
    try:
        parameters.resolve(
            use.properties, app.locator((*use.path, "properties")), drop_unknown=app.tolerates_unknown
        )
    except MultipleErrors as exc:
        raise_collected([p for p in exc.errors if not use.supplies(p)])
    except VesselError as exc:
        if not use.supplies(exc):
            raise


def check_expressions(app: Application) -> None:
    """Raise a ValidationError (naming the field) for each expression outside the bounded language."""
    problems: list[VesselError] = []
    for path, source, compile_ in _expressions(app):
        try:
            compile_(source)
        except NotBounded as exc:
            line = f" (line {exc.lineno} of the expression)" if exc.lineno and exc.lineno > 1 else ""
            hint = CUE_PATH_HINT if "$returns" in source else EXPRESSION_HINT
            problems.append(ValidationError(f"{exc}{line}", app.where(path), hint=hint))
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


def uses(app: Application) -> Iterator[_Use]:
    """Every place `app` names a definition (policy and step properties with them)."""
    for comp in app.components:
        yield _Use(Kind.COMPONENT, comp.type, comp.path, comp.properties, checked_here=False)
        for trait in comp.traits:
            yield _Use(Kind.TRAIT, trait.type, trait.path, trait.properties, checked_here=False)
    for policy in app.policies:
        yield _Use(Kind.POLICY, policy.type, policy.path, policy.properties)
    for step in app.workflow.steps if app.workflow else ():
        for one in (step, *step.sub_steps):
            yield _Use(Kind.WORKFLOW_STEP, one.type, one.path, one.properties, supplied=_supplied(one))


def _supplied(step: Step) -> tuple[str, ...]:
    """The field paths (as errors name them) that the step's inputs fill in."""
    return tuple(
        format_path((*step.path, "properties", *inp.parameter_key.split(".")))
        for inp in step.inputs
        if inp.parameter_key
    )
