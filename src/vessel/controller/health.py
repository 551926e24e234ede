"""Judging a delivered workload from its live object, after the workflow: the one place the steady-state
loop and `vessel status` ask, so both always agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vessel.definitions.definition import Kind
from vessel.definitions.template import Status
from vessel.render.health import evaluate_status
from vessel.store.records import AppRecord, InventoryEntry

if TYPE_CHECKING:
    from vessel.controller.controller import Controller

WORKLOAD_TYPE = "workload.oam.dev/type"


def workload_status(
    controller: Controller, app: AppRecord, entry: InventoryEntry, live: dict[str, Any]
) -> Status:
    """The health its revision's component definition gives `live` (healthy if it has no rules)."""
    labels = (entry.manifest.get("metadata") or {}).get("labels") or {}
    _, registry = controller.revision_context(app.id, entry.revision)
    definition = registry.find(Kind.COMPONENT, str(labels.get(WORKLOAD_TYPE, "")))
    if definition is None:
        return Status(True)
    return evaluate_status(
        definition,
        live,
        {},
        {},
        {"name": entry.component, "appName": app.name},
        live_state=controller.targets.get(entry.target).live_state,
    )
