"""Garbage collection: pruning what a revision no longer renders, and deleting an application.

Rules: prune only after the new revision's workflow succeeded; mark an entry `deleting` before deleting
its object, and forget it only once the delete succeeded (a failed delete stays and is retried by the
steady-state loop); a revision that renders nothing never prunes everything. The `garbage-collect`
policy can keep legacy resources (`keepLegacyResource`), orphan everything on delete
(`onAppDelete: orphan`), and per resource (`rules`) prune on update (`onAppUpdate`, the default), keep
until the application is deleted (`onAppDelete`) or never delete (`never`). An object this application
only reads (read-only), or shares with applications that still hold it, is never deleted: it is let go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vessel.errors import VesselError
from vessel.policies.resources import NEVER, ON_APP_UPDATE, ResourcePolicies
from vessel.store.records import AppRecord, EntryState, InventoryEntry, RunRecord

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


def resource_policies(controller: Controller, app: AppRecord) -> ResourcePolicies:
    model, _ = controller.revision_context(app.id, app.revision)
    return ResourcePolicies(model.policies)


def prune(controller: Controller, app: AppRecord, run: RunRecord) -> None:
    entries = controller.store.inventory(app.id)
    stale = [e for e in entries if e.revision != run.revision]
    policies = resource_policies(controller, app)
    if stale and policies.keep_legacy:
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
    kept = [e for e in stale if policies.gc_strategy(e.manifest) != ON_APP_UPDATE]
    if kept:
        controller.event(
            app.id, "Kept", f"keeping {len(kept)} resource(s) no longer rendered (garbage-collect rules)"
        )
    for entry in stale:
        if entry not in kept:
            remove_entry(controller, app, entry)
    controller.store.update_run(run.id, pruned=True)


def remove_entry(controller: Controller, app: AppRecord, entry: InventoryEntry) -> bool:
    """Delete the entry's object, or only forget the entry if this application merely reads the object
    or other applications still share it (the last holder deletes it; readers do not count)."""
    holders = controller.store.holders(entry.target, entry.key)
    held = any(a != app.id and e.state != EntryState.READING for a, e in holders.items())
    if entry.state == EntryState.READING or held:
        controller.store.forget(app.id, entry.target, entry.key)
        why = "still shared by another application" if held else "only read by this application"
        controller.event(app.id, "Released", f"left {entry.key} on {entry.target} in place ({why})")
        return True
    return delete_entry(controller, app, entry)


def delete_entry(controller: Controller, app: AppRecord, entry: InventoryEntry) -> bool:
    """Mark, delete, forget. False (entry kept as `deleting`, retried later) if the delete failed."""
    store, now = controller.store, controller.clock.now()
    if entry.state != EntryState.DELETING:
        store.set_state(app.id, entry.target, entry.key, EntryState.DELETING, now)
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
    policies = resource_policies(controller, app)
    remaining = 0
    if not policies.orphan_on_delete:
        for entry in controller.store.inventory(app.id):
            if entry.state != EntryState.DELETING and policies.gc_strategy(entry.manifest) == NEVER:
                controller.store.forget(app.id, entry.target, entry.key)
                controller.event(app.id, "Orphaned", f"left {entry.key} on {entry.target} (policy: never)")
                continue
            remaining += 0 if remove_entry(controller, app, entry) else 1
    if remaining:
        return False
    controller.store.delete_app(app.id)
    return True
