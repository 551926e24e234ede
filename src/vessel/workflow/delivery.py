"""Delivery: render components for one placement, record them, apply them, judge their health.

The order is what makes crashes harmless: each object is recorded in the inventory (`applying`) before
it is applied and marked `applied` after, so whatever a crash interrupts is known and re-applied (applies
are idempotent, by deterministic name). Another application's object is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from vessel.definitions.definition import Kind
from vessel.definitions.registry import Registry
from vessel.definitions.sandbox import DEFAULT_LIMITS, STATUS_ENV, evaluate_with_limits
from vessel.errors import ConflictError, TransientError, VesselError
from vessel.model.application import Application, Component
from vessel.model.frozen import freeze, thaw
from vessel.policies.override import apply_overrides
from vessel.policies.topology import Placement, place
from vessel.render.component import render_component
from vessel.render.context import RenderOptions
from vessel.render.health import evaluate_status
from vessel.render.resource import WORKLOAD, Resource
from vessel.store.records import InventoryEntry
from vessel.store.store import Store
from vessel.targets.protocol import Target, TargetInfo


class TargetProvider(Protocol):
    def get(self, name: str) -> Target: ...

    def infos(self) -> list[TargetInfo]: ...

    def default(self) -> str | None: ...

    def render_type(self, name: str) -> str: ...


@dataclass(frozen=True)
class ComponentReport:
    component: str
    target: str
    healthy: bool
    message: str


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Delivery:
    """The services built-in steps use to deliver one revision of one application."""

    store: Store
    targets: TargetProvider
    app_id: int
    app: Application
    registry: Registry
    revision: int
    now: float

    def placements(self, policy_names: Sequence[str]) -> list[tuple[Placement, tuple[Component, ...]]]:
        """Where to deliver and which components (after overrides), for a deploy step's policies."""
        policies = {p.name: p for p in self.app.policies}
        missing = [n for n in policy_names if n not in policies]
        if missing:
            raise ConflictError(
                f"deploy: unknown policy {', '.join(missing)}", hint=f"known: {', '.join(policies) or 'none'}"
            )
        chosen = [policies[n] for n in policy_names]
        components: tuple[Component, ...] = self.app.components
        for policy in chosen:
            if policy.type == "override":
                components = apply_overrides(components, policy.properties)
        topologies = [p for p in chosen if p.type == "topology"]
        infos, default = self.targets.infos(), self.targets.default()
        if not topologies:
            return [(p, components) for p in place({}, infos, default)]
        return [(p, components) for t in topologies for p in place(t.properties, infos, default, t.name)]

    def deliver(
        self, components: Sequence[Component], placement: Placement, values: Mapping[str, Any]
    ) -> tuple[list[ComponentReport], dict[str, Any]]:
        """Apply every component whose dependencies are healthy; report health; publish outputs."""
        target = self.targets.get(placement.target)
        app = replace(self.app, components=tuple(components))
        options = RenderOptions(
            target_type=self.targets.render_type(placement.target),
            revision=self.revision,
            namespace=placement.namespace,
            target=placement.target,
        )
        reports: dict[str, ComponentReport] = {}
        published: dict[str, Any] = {}
        for comp in _dependency_order(components):
            waiting = [d for d in _needs(comp, components) if not (d in reports and reports[d].healthy)]
            if waiting:
                reports[comp.name] = ComponentReport(
                    comp.name, placement.target, False, f"waiting for {', '.join(waiting)}"
                )
                continue
            comp = _with_inputs(comp, {**values, **published})
            rendered = render_component(app, comp, self.registry, options, DEFAULT_LIMITS)
            lives = [self._apply(target, placement.target, comp.name, r) for r in rendered.resources]
            workload, outputs = (
                lives[0],
                {
                    r.output: live
                    for r, live in zip(rendered.resources[1:], lives[1:], strict=True)
                    if r.output
                },
            )
            status = evaluate_status(
                rendered.definition,
                workload,
                outputs,
                rendered.parameter,
                {"name": comp.name, "appName": app.name},
            )
            reports[comp.name] = ComponentReport(comp.name, placement.target, status.healthy, status.message)
            if status.healthy:
                published.update(_component_outputs(comp, workload, outputs))
        return list(reports.values()), published

    def _apply(self, target: Target, target_name: str, component: str, resource: Resource) -> dict[str, Any]:
        key = resource.key
        owner = self.store.owner_of(target_name, key)
        if owner is not None and owner != self.app_id:
            other = self.store.app_by_id(owner)
            raise ConflictError(
                f"{key} on target {target_name!r} belongs to application {other.namespace}/{other.name}",
                hint="remove it there first, or allow sharing with a shared-resource policy",
            )
        entry = InventoryEntry(
            target_name,
            key,
            component,
            self.revision,
            "applying",
            manifest_digest(resource.body),
            resource.body,
            "" if resource.resource_type == WORKLOAD else (resource.output or ""),
        )
        known = {(e.target, e.key): e for e in self.store.inventory(self.app_id)}.get((target_name, key))
        if known is None or known.digest != entry.digest or known.revision != self.revision:
            self.store.record(self.app_id, entry, self.now)
        result = target.apply(resource.body)
        if (
            known is None
            or known.state != "applied"
            or known.digest != entry.digest
            or known.revision != self.revision
        ):
            self.store.record(self.app_id, replace(entry, state="applied"), self.now)
        return result.live


def _needs(comp: Component, components: Sequence[Component]) -> list[str]:
    producers = {o.name: c.name for c in components for o in c.outputs}
    names = {c.name for c in components}
    implied = [producers[i.source] for i in comp.inputs if i.source in producers]
    return [d for d in dict.fromkeys((*comp.depends_on, *implied)) if d in names and d != comp.name]


def _dependency_order(components: Sequence[Component]) -> list[Component]:
    from vessel.model.graph import topological_order

    by_name = {c.name: c for c in components}
    edges = {c.name: set(_needs(c, components)) for c in components}
    return [by_name[n] for n in topological_order(edges)]


def _with_inputs(comp: Component, values: Mapping[str, Any]) -> Component:
    if not comp.inputs:
        return comp
    props = thaw(comp.properties)
    for inp in comp.inputs:
        if inp.source in values and inp.parameter_key:
            target = props
            keys = inp.parameter_key.split(".")
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = values[inp.source]
    return replace(comp, properties=freeze(props))


def _component_outputs(
    comp: Component, workload: Mapping[str, Any], outputs: Mapping[str, Any]
) -> dict[str, Any]:
    published: dict[str, Any] = {}
    for out in comp.outputs:
        try:
            expr = STATUS_ENV.compile_expression(out.value_from)
            published[out.name] = evaluate_with_limits(
                expr, {"output": workload, "outputs": outputs}, DEFAULT_LIMITS
            )
        except Exception as exc:  # an author's expression must not crash delivery
            raise VesselError(
                f"component {comp.name!r} output {out.name!r}: cannot evaluate {out.value_from!r}: {exc}"
            ) from None
    return published


def check_definition_exists(registry: Registry, type_name: str) -> None:
    registry.get(Kind.COMPONENT, type_name)


__all__ = ["ComponentReport", "Delivery", "TargetProvider", "TransientError", "manifest_digest"]
