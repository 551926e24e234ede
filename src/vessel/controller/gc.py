"""Garbage collection: pruning what a revision no longer renders, and deleting an application.

Rules: prune only after the new revision's workflow succeeded; mark an entry `deleting` before deleting
its object, and forget it only once the delete succeeded (a failed delete stays and is retried by the
steady-state loop); a revision that renders nothing never prunes everything. The `garbage-collect`
policy can keep legacy resources (`keepLegacyResource`) or orphan everything on delete
(`onAppDelete: orphan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vessel.errors import VesselError
from vessel.store.records import AppRecord, InventoryEntry, RunRecord

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


def _gc_policy(controller: Controller, app: AppRecord) -> Mapping[str, Any]:
    model, _ = controller.revision_context(app.id, app.revision)
    for policy in model.policies:
        if policy.type == "garbage-collect":
            return policy.properties
    return {}


def prune(controller: Controller, app: AppRecord, run: RunRecord) -> None:
    entries = controller.store.inventory(app.id)
    stale = [e for e in entries if e.revision != run.revision]
    policy = _gc_policy(controller, app)
    if stale and policy.get("keepLegacyResource"):
        controller.event(
            app.id, "KeepLegacy", f"keeping {len(stale)} resource(s) of older revisions (policy)"
        )
        stale = []
    if stale and len(stale) == len(entries):
        controller.event(
            app.id,
            "PruneRefused",
            f"revision {run.revision} delivered nothing; refusing to prune all {len(stale)} resource(s)",
            True,
        )
        stale = []
    for entry in stale:
        delete_entry(controller, app, entry)
    controller.store.update_run(run.id, pruned=True)


def delete_entry(controller: Controller, app: AppRecord, entry: InventoryEntry) -> bool:
    """Mark, delete, forget. False (entry kept as `deleting`, retried later) if the delete failed."""
    store, now = controller.store, controller.clock.now()
    if entry.state != "deleting":
        store.set_state(app.id, entry.target, entry.key, "deleting", now)
    try:
        controller.targets.get(entry.target).delete(entry.key)
    except VesselError as exc:
        controller.event(app.id, "DeleteFailed", f"{entry.key} on {entry.target}: {exc.render()}", True)
        return False
    store.forget(app.id, entry.target, entry.key)
    controller.event(app.id, "Pruned", f"deleted {entry.key} from {entry.target}")
    return True


def delete_all(controller: Controller, app: AppRecord) -> bool:
    """Delete (or orphan, per policy) everything the application owns; drop it once nothing is left."""
    orphan = _gc_policy(controller, app).get("onAppDelete") == "orphan"
    remaining = 0
    if not orphan:
        for entry in controller.store.inventory(app.id):
            remaining += 0 if delete_entry(controller, app, entry) else 1
    if remaining:
        return False
    controller.store.delete_app(app.id)
    return True
