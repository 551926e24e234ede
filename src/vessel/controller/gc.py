"""Garbage collection: pruning what a revision no longer renders, old revisions, and deleting an
application.

Rules: prune only after the new revision's workflow succeeded — or, with `continueOnFailure`, after it
failed, and then only what the run outdated: objects of older revisions of a component it delivered to
that target, or of a component the revision no longer has (a component the failed run never reached
keeps serving its older version); mark an entry `deleting` before deleting
its object, and forget it only once the delete succeeded (a failed delete stays and is retried by the
steady-state loop); a revision that renders nothing never prunes everything. The `garbage-collect`
policy can keep legacy resources (`keepLegacyResource`), orphan everything on delete
(`onAppDelete: orphan`), and per resource (`rules`) prune on update (`onAppUpdate`, the default), keep
until the application is deleted (`onAppDelete`) or never delete (`never`). An object this application
only reads (read-only), or shares with applications that still hold it, is never deleted: it is let go.

Revisions: history beyond `applicationRevisionLimit` (default 10) older revisions kept for rollback is
pruned when a revision is created (so failing submits cannot grow it without bound) and again once its
run's objects were pruned (the previous revision is no longer in use then); revisions still in use are
never pruned (store/pruning.py says which).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vessel.errors import VesselError
from vessel.model.application import Application
from vessel.policies.resources import NEVER, ON_APP_UPDATE, ResourcePolicies
from vessel.store.records import AppRecord, EntryState, InventoryEntry, RunPhase, RunRecord

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


def resource_policies(controller: Controller, app: AppRecord) -> ResourcePolicies:
    model, _ = controller.revision_context(app.id, app.revision)
    return ResourcePolicies(model.policies)


def prune_revisions(controller: Controller, app_id: int, model: Application) -> None:
    """Delete revisions beyond the application's `applicationRevisionLimit` (those not in use)."""
    limit = ResourcePolicies(model.policies).revision_limit
    pruned = controller.store.prune_revisions(app_id, limit)
    if pruned:
        controller.forget_revisions(app_id, pruned)
        numbers = ", ".join(map(str, pruned))
        controller.event(
            app_id,
            "RevisionsPruned",
            f"deleted revision(s) {numbers}: beyond applicationRevisionLimit {limit}",
        )


def prune(controller: Controller, app: AppRecord, run: RunRecord) -> None:
    """Once `run` finished: delete what its revision no longer renders (see the module docstring)."""
    policies = resource_policies(controller, app)
    if run.phase == RunPhase.FAILED and not policies.continue_on_failure:
        return
    entries = controller.store.inventory(app.id)
    stale = [e for e in entries if e.revision != run.revision]
    if run.phase == RunPhase.FAILED:
        stale = _outdated_by_failed_run(controller, run, entries, stale)
        if stale:
            controller.event(
                app.id,
                "PruneAfterFailure",
                f"run {run.id} failed; pruning {len(stale)} outdated resource(s) (continueOnFailure)",
            )
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
    prune_revisions(controller, app.id, controller.revision_context(app.id, run.revision)[0])


def _outdated_by_failed_run(
    controller: Controller, run: RunRecord, entries: list[InventoryEntry], stale: list[InventoryEntry]
) -> list[InventoryEntry]:
    model, _ = controller.revision_context(run.app_id, run.revision)
    components = {c.name for c in model.components}
    delivered = {(e.target, e.component) for e in entries if e.revision == run.revision}
    return [e for e in stale if e.component not in components or (e.target, e.component) in delivered]


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
