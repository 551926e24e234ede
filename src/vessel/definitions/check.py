"""Checks of an Application against the definitions it names, before anything renders.

Rendering validates component and trait properties as it goes; this pass covers what rendering does not
touch (policy and workflow-step properties) and reports every unknown type at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vessel.definitions.definition import Kind
from vessel.definitions.registry import Registry
from vessel.errors import VesselError, collecting, raise_collected
from vessel.model.application import Application
from vessel.model.paths import Path


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
            if use.properties is not None:
                definition.parameters.resolve(use.properties, app.locator((*use.path, "properties")))
    raise_collected(problems)


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
