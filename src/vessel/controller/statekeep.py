"""State keeping: what the steady-state loop does to one inventory entry, as the resource policies say.

Normally it re-applies the recorded manifest (drift correction; an unchanged object is a no-op apply,
and the target is told when the inventory says this very manifest was applied, so that even a target
which cannot otherwise tell — server-side apply — writes nothing when the live object still matches).
Objects found up to date at the version recorded never get here (`steady`).
`apply-once` for the whole application only reads the object; an `apply-once` rule re-applies with the
rule's field paths taken from the live object. A read-only object (`reading`) is only read; so is a
shared one another application writes (`sharing`) — once no other application writes it, this one
starts writing it (KubeVela hands a shared object over to the next sharer the same way). An object gone
from its target is an error here when apply-once, read-only or sharing forbids re-creating it.

What an apply changed is told as events, one per change and none for a pass that changed nothing: each
action the target reports (a replica restarted after it crashed, killed for failing its liveness probe,
orphans swept) is an event of its own; an apply that changed the object without any such action corrected
drift (`DriftCorrected`). The application's source directory goes with every apply, so a replica
restarted here finds the scripts next to its Application file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vessel.errors import NotFoundError
from vessel.policies.resources import ON_STATE_KEEP, WHOLE_OBJECT, ResourcePolicies, keep_live_fields
from vessel.store.records import AppRecord, EntryState, InventoryEntry
from vessel.targets.protocol import ApplyResult

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


def keep(controller: Controller, app: AppRecord, entry: InventoryEntry, policies: ResourcePolicies) -> Any:
    """Keep one object in its desired state; the live object afterwards."""
    target, manifest = controller.targets.get(entry.target), entry.manifest
    if entry.state == EntryState.READING:
        return _read(target.get(entry.key), entry, _READ_ONLY)
    if entry.state == EntryState.SHARING:
        if not _written_by_others(controller, app, entry):
            live = target.apply(manifest, source_dir=app.source_dir).live
            controller.store.set_state(
                app.id, entry.target, entry.key, EntryState.APPLIED, controller.clock.now()
            )
            controller.event(
                app.id, "SharedHandover", f"now writing {entry.key} on {entry.target} (last holder)"
            )
            return live
        return _read(target.get(entry.key), entry, _SHARED)
    if policies.apply_once_all:
        return _read(target.get(entry.key), entry, _APPLY_ONCE)
    paths = policies.apply_once_paths(manifest, ON_STATE_KEEP)
    if paths is not None:
        live = _read(target.get(entry.key), entry, _APPLY_ONCE)
        if WHOLE_OBJECT in paths:
            return live
        manifest = keep_live_fields(manifest, live, paths)
    result = target.apply(manifest, source_dir=app.source_dir, applied=entry.state == EntryState.APPLIED)
    _tell(controller, app, entry, result)
    return result.live


def _tell(controller: Controller, app: AppRecord, entry: InventoryEntry, result: ApplyResult) -> None:
    """One event per action the target took, or one for the drift the apply corrected."""
    where = f"{entry.component} on {entry.target}"
    for action in result.actions:
        controller.event(app.id, action.reason, f"{where}: {action.message}", action.warning)
    if result.changed and not result.actions:
        controller.event(app.id, "DriftCorrected", f"{where}: re-applied {entry.key}, which had drifted")


_READ_ONLY = ("this application only reads it", "its owner has to create it again")
_SHARED = ("another application writes it", "the application writing it re-creates it")
_APPLY_ONCE = ("apply-once does not re-create it", "restart the workflow to re-create it")


def _read(live: dict[str, Any] | None, entry: InventoryEntry, why: tuple[str, str]) -> dict[str, Any]:
    if live is None:
        raise NotFoundError(f"{entry.key} is gone and {why[0]}", hint=why[1])
    return live


def _written_by_others(controller: Controller, app: AppRecord, entry: InventoryEntry) -> bool:
    holders = controller.store.holders(entry.target, entry.key)
    return any(a != app.id and e.state in EntryState.WRITING for a, e in holders.items())
