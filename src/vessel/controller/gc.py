"""Garbage collection: pruning what a revision no longer renders, old revisions, and deleting an
application.

Rules: prune only after the new revision's workflow succeeded — or, with `continueOnFailure`, after it
failed, and then only what the run outdated: objects of older revisions of a component it delivered to
that target, or of a component the revision no longer has (a component the failed run never reached
keeps serving its older version); mark an entry `deleting` before deleting its object, and forget it
only once the delete succeeded; a revision that renders nothing never prunes everything.

A failed delete stays `deleting` and is retried with the backoff delivery uses (`workflow.backoff`: 1 s
doubling to 60 s, or longer if the target asked), by whichever process comes next — `vessel delete`,
`vessel run`, the steady-state pass — since the failure count and the next attempt's time are kept in
the entry itself. It is never given up: a target may come back. Events record changes of state only —
an entry starts failing, an entry that had failed is deleted at last — never one per attempt; the last
failure of each entry is kept for `vessel delete` and `status` to show. `orphan_undeletable` is the way
out when a target is gone for good: it forgets what still cannot be deleted, leaving it in place.

The `garbage-collect` policy can keep legacy resources (`keepLegacyResource`), and per resource (`rules`)
prune on update (`onAppUpdate`, the default), keep until the application is deleted (`onAppDelete`) or
never delete (`never`: left in place when the application is deleted — how a KubeVela user keeps objects
beyond their application; KubeVela's policy has no application-wide orphan switch, and neither has
Vessel's). An object this application only reads (read-only), or shares with applications that still
hold it, is never deleted: it is let go.

Revisions: history beyond `applicationRevisionLimit` (default 10) older revisions kept for rollback is
pruned when a revision is created (so failing submits cannot grow it without bound) and again once its
run's objects were pruned (the previous revision is no longer in use then); revisions still in use are
never pruned (store/pruning.py says which).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vessel.errors import TransientError, VesselError
from vessel.model.application import Application, component_of
from vessel.policies.resources import NEVER, ON_APP_UPDATE, ResourcePolicies
from vessel.store.records import AppRecord, EntryState, InventoryEntry, RunPhase, RunRecord
from vessel.workflow import backoff

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
    return [
        e
        for e in stale
        if component_of(e.component) not in components or (e.target, e.component) in delivered
    ]


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
    """Mark, delete, forget. False when the entry is still there: its delete failed (failure count and
    next attempt persisted) or it is waiting for its next attempt."""
    store, now = controller.store, controller.clock.now()
    if entry.next_attempt_at is not None and now < entry.next_attempt_at:
        return False
    if entry.state != EntryState.DELETING:
        store.set_state(app.id, entry.target, entry.key, EntryState.DELETING, now)
    try:
        controller.targets.get(entry.target).delete(entry.key)
    except VesselError as exc:
        _delete_failed(controller, app, entry, exc)
        return False
    store.forget(app.id, entry.target, entry.key)
    after = f" after {entry.errors} failed attempt{'s' * (entry.errors != 1)}" if entry.errors else ""
    controller.event(app.id, "Pruned", f"deleted {entry.key} from {entry.target}{after}")
    return True


def _delete_failed(controller: Controller, app: AppRecord, entry: InventoryEntry, exc: VesselError) -> None:
    errors, now = entry.errors + 1, controller.clock.now()
    asked = exc.retry_after if isinstance(exc, TransientError) and exc.retry_after else 0.0
    wait = max(backoff.delay(errors), min(asked, backoff.CAP_SECONDS))
    controller.store.delete_failed(app.id, entry, errors, now + wait, exc.render(), now)
    if entry.errors == 0:  # it starts failing: one event, not one per attempt
        controller.event(
            app.id,
            "DeleteFailed",
            f"cannot delete {entry.key} on {entry.target}: {exc.render()} (retrying with backoff, "
            f"{backoff.BASE_SECONDS:g}s doubling to {backoff.CAP_SECONDS:g}s)",
            True,
        )


def delete_all(controller: Controller, app: AppRecord) -> bool:
    """Delete everything the application owns (leaving what a `never` rule keeps); drop it once nothing
    is left."""
    policies = resource_policies(controller, app)
    remaining = 0
    for entry in controller.store.inventory(app.id):
        if entry.state != EntryState.DELETING and policies.gc_strategy(entry.manifest) == NEVER:
            controller.store.forget(app.id, entry.target, entry.key)
            controller.event(app.id, "Orphaned", f"left {entry.key} on {entry.target} (policy: never)")
            continue
        remaining += 0 if remove_entry(controller, app, entry) else 1
    if remaining:
        _say_what_is_left(controller, app)
        return False
    controller.store.delete_app(app.id)
    return True


def _say_what_is_left(controller: Controller, app: AppRecord) -> None:
    """The application's message while deleting: how much is left and the first failure."""
    left = controller.store.inventory(app.id)
    failing = [e for e in left if e.last_error]
    message = f"{len(left)} resource(s) left to delete"
    if failing:
        first = failing[0]
        message += f"; {first.key} on {first.target}: {first.last_error} (attempt {first.errors})"
    if message != app.message:
        controller.store.set_app(app.id, controller.clock.now(), message=message)


def next_delete_due(controller: Controller, app: AppRecord) -> float | None:
    """When the next failed delete of the application is due (None: none is waiting)."""
    due = [e.next_attempt_at for e in controller.store.inventory(app.id) if e.next_attempt_at is not None]
    return min(due, default=None)


def orphan_undeletable(controller: Controller, app: AppRecord) -> list[InventoryEntry]:
    """After a deleting pass: forget every entry still left (its object stays where it is) and drop the
    application; return those entries, each with why it could not be deleted (`last_error`)."""
    left = controller.store.inventory(app.id)
    for entry in left:
        controller.store.forget(app.id, entry.target, entry.key)
    controller.store.delete_app(app.id)
    return left
