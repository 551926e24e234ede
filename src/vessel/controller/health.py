"""Judging delivered components from their live objects, after the workflow: the one place the
steady-state loop and `vessel status` ask, so both agree — and, since both hand the same function
(`render.health.judge_component`) the status basis the deploy step judged with, they agree with it too.

A component's objects on a target are read from the inventory: its workload (role "") and its outputs by
name (role). The basis (parameters after overrides and inputs, context, traits) is the one delivery
recorded with the workload: judging costs no render and no store query. A workload recorded before Vessel
kept it gets one worked out from its revision's component as written — its properties and its traits'
resolved by their definitions, no overrides or inputs, the context from the entry — cached per revision
(bounded), until its next delivery records the real one. An object that is no component's workload (an
`apply-object` step's) has no status rules: it is healthy once it exists.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vessel.definitions.definition import Kind
from vessel.definitions.registry import Registry
from vessel.definitions.template import Status
from vessel.errors import VesselError
from vessel.model.application import Application
from vessel.model.paths import Path
from vessel.model.resource_key import ResourceKey
from vessel.render.contract import TRAIT_TYPE, WORKLOAD_TYPE
from vessel.render.health import ComponentHealth, judge_component
from vessel.render.resource import AUXILIARY
from vessel.render.status_basis import StatusBasis
from vessel.store.records import AppRecord, EntryState, InventoryEntry

if TYPE_CHECKING:
    from vessel.controller.reader import Sees

Live = Mapping[str, Any]
Lives = Mapping[tuple[str, ResourceKey], Live]  # live objects by (target, key)


@dataclass
class Delivered:
    """One component's objects on one target, as the inventory records them."""

    workload: InventoryEntry
    outputs: list[InventoryEntry] = field(default_factory=list)

    def live_outputs(self, lives: Lives) -> dict[str, Live]:
        found = ((e.role, lives.get((e.target, e.key))) for e in self.outputs)
        return {role: live for role, live in found if live is not None}


def delivered(inventory: Iterable[InventoryEntry]) -> list[Delivered]:
    """Each component's workload with its current outputs (not those being deleted), per target."""
    entries = [e for e in inventory if e.state != EntryState.DELETING]
    found = {(e.component, e.target): Delivered(e) for e in entries if not e.role}
    for entry in entries:
        if entry.role and (entry.component, entry.target) in found:
            found[(entry.component, entry.target)].outputs.append(entry)
    return list(found.values())


def component_health(controller: Sees, app: AppRecord, what: Delivered, lives: Lives) -> ComponentHealth:
    """The component's health from the live objects `lives` holds (a missing one: it is gone)."""
    workload = what.workload
    live = lives.get((workload.target, workload.key))
    basis = _basis(controller, app, what)
    if basis is None:
        exists = Status(True) if live is not None else Status(False, f"{workload.key} does not exist")
        return ComponentHealth(exists)
    registry = controller.revision_registry(app.id, workload.revision)
    live_state = controller.targets.get(workload.target).live_state
    return judge_component(registry, basis, live, what.live_outputs(lives), live_state=live_state)


def _basis(controller: Sees, app: AppRecord, what: Delivered) -> StatusBasis | None:
    entry = what.workload
    if entry.status_basis is not None:
        return StatusBasis.from_json(entry.status_basis)
    if not _labels(entry).get(WORKLOAD_TYPE):
        return None
    key = (app.id, entry.revision, entry.target, entry.component)
    make = functools.partial(_from_revision, controller, app, what)
    return controller.status_bases.get_or_make(key, make, lambda basis: len(json.dumps(basis.to_json())))


def _from_revision(controller: Sees, app: AppRecord, what: Delivered) -> StatusBasis:
    """A basis for a workload recorded without one: its revision's component as written."""
    entry = what.workload
    model, registry = controller.revision_context(app.id, entry.revision)
    context = {
        "name": entry.component,
        "appName": app.name,
        "appRevision": f"{app.name}-v{entry.revision}",
        "namespace": entry.key.namespace or app.namespace,
        "cluster": entry.target,
    }
    owners = {e.role: str(_labels(e).get(TRAIT_TYPE) or AUXILIARY) for e in what.outputs}
    comp = next((c for c in model.components if c.name == entry.component), None)
    type_ = str(_labels(entry)[WORKLOAD_TYPE])
    if comp is None:
        return StatusBasis.of(type_, {}, context, owners)
    traits = [
        (t.type, _resolved(model, registry, Kind.TRAIT, t.type, t.properties, t.path)) for t in comp.traits
    ]
    parameter = _resolved(model, registry, Kind.COMPONENT, comp.type, comp.properties, comp.path)
    return StatusBasis.of(type_, parameter, context, owners, traits)


def _resolved(
    model: Application, registry: Registry, kind: Kind, type_: str, properties: Mapping[str, Any], path: Path
) -> dict[str, Any]:
    """Properties with their definition's defaults; as written when they do not resolve (an input
    the run filled in is missing from them)."""
    definition = registry.find(kind, type_)
    if definition is None:
        return dict(properties)
    try:
        locate = model.locator((*path, "properties"))
        return definition.parameters.resolve(properties, locate, drop_unknown=model.tolerates_unknown)
    except VesselError:
        return dict(properties)


def _labels(entry: InventoryEntry) -> Mapping[str, Any]:
    return (entry.manifest.get("metadata") or {}).get("labels") or {}
