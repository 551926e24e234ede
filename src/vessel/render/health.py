"""Health and custom status: a component's status rules and its traits', evaluated against live objects.

The engine hands in what the target reports; this stays pure. `judge_component` is the one judgement of
a component — the deploy step, the steady-state loop and `vessel status` all ask it, with the component's
`StatusBasis` (its parameters, context and traits, fixed when it was rendered) — so they cannot disagree.

KubeVela's rules: a component is healthy when its workload and every one of its traits are. The
component definition's rules see `context.output` (the live workload) and `context.outputs.<name>` (the
live objects it rendered itself); a trait's rules see `context.outputs.<name>` for the objects its type
rendered, and no `context.output`. Each sees its own resolved `parameter`. A definition without a
`healthPolicy` is healthy once its objects exist; on a target that only stores objects (a directory)
existing is healthy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vessel.definitions.definition import Definition, Kind
from vessel.definitions.registry import Registry
from vessel.definitions.template import Status
from vessel.render.resource import AUXILIARY
from vessel.render.status_basis import StatusBasis, TraitBasis

Live = Mapping[str, Any]


@dataclass(frozen=True)
class TraitHealth:
    type: str
    healthy: bool
    message: str = ""


@dataclass(frozen=True)
class ComponentHealth:
    """The workload's status and every trait's, in the order the component lists its traits."""

    workload: Status
    traits: tuple[TraitHealth, ...] = ()

    @property
    def healthy(self) -> bool:
        return self.workload.healthy and all(t.healthy for t in self.traits)

    @property
    def problem(self) -> str:
        """Why it is not healthy, naming each unhealthy trait ("" when it is healthy)."""
        if self.healthy:
            return ""
        parts = [] if self.workload.healthy else [self.workload.message or "not healthy"]
        parts += [f"trait {t.type}: {t.message or 'not healthy'}" for t in self.traits if not t.healthy]
        return "; ".join(parts)


def judge_component(
    registry: Registry,
    basis: StatusBasis,
    workload: Live | None,
    outputs: Mapping[str, Live],
    *,
    live_state: bool = True,
) -> ComponentHealth:
    """The component's health from its live workload and live outputs (by output name)."""
    definition = registry.find(Kind.COMPONENT, basis.type)
    if definition is None:
        return ComponentHealth(Status(False, f"component type {basis.type!r} is not defined in its revision"))
    own = _named(outputs, basis.outputs_of(AUXILIARY))
    status = evaluate_status(definition, workload, own, basis.parameter, basis.context, live_state=live_state)
    if not live_state:  # nothing reports status there: what exists is healthy
        return ComponentHealth(status, tuple(TraitHealth(t.type, True) for t in basis.traits))
    traits = tuple(_trait(registry, basis, trait, outputs) for trait in basis.traits)
    return ComponentHealth(status, traits)


def _trait(
    registry: Registry, basis: StatusBasis, trait: TraitBasis, outputs: Mapping[str, Live]
) -> TraitHealth:
    definition = registry.find(Kind.TRAIT, trait.type)
    if definition is None:
        return TraitHealth(trait.type, False, f"trait type {trait.type!r} is not defined in its revision")
    own = _named(outputs, basis.outputs_of(trait.type))
    status = evaluate_trait(definition, own, trait.parameter, basis.context)
    return TraitHealth(trait.type, status.healthy, status.message)


def _named(outputs: Mapping[str, Live], names: tuple[str, ...]) -> dict[str, Live]:
    return {name: outputs[name] for name in names if name in outputs}


def evaluate_status(
    definition: Definition,
    live_output: Live | None,
    live_outputs: Mapping[str, Live] | None = None,
    parameter: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    *,
    live_state: bool = True,
) -> Status:
    """A component definition's rules. `live_state=False` is for targets that only store objects (a
    directory): existing is healthy."""
    if live_output is None:
        return Status(False, f"{definition.name}: the workload does not exist yet")
    if not live_state:
        return Status(True, "delivered")
    if definition.status is None:
        return Status(True)
    variables = {
        "context": {**(context or {}), "output": live_output, "outputs": dict(live_outputs or {})},
        "parameter": dict(parameter or {}),
    }
    return definition.status.evaluate(variables)


def evaluate_trait(
    definition: Definition,
    live_outputs: Mapping[str, Live],
    parameter: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Status:
    """A trait definition's rules over the live objects it rendered (none: a patch-only trait)."""
    if definition.status is None:
        return Status(True)
    variables = {
        "context": {**(context or {}), "outputs": dict(live_outputs)},
        "parameter": dict(parameter or {}),
    }
    return definition.status.evaluate(variables)
