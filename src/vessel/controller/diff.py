"""Drift: each inventory object's live state against the state the steady-state loop would keep it in.

`vessel diff` must answer "what would reconciling change?" without changing anything, so this module
mirrors `statekeep.keep` decision by decision and only ever *reads* targets and the store:

- the desired object is the manifest last applied (the inventory), minus what the server owns
  (status, uid, resourceVersion…); apply-once rule paths take their live values, as state keeping does;
- the live object is compared the way server-side apply sees it: only the fields the manifest sets
  count, so server defaults, status and labels or annotations other managers added are not drift. Lists
  whose items all have a unique `name` (containers, env, volumes…) are matched by name — items another
  manager added stay on a re-apply, so they are not drift either; other lists are compared by position
  and a different length is drift;
- objects this application does not write (read-only, shared with a writer, apply-once for the whole
  application) are reported as such; their drift is kept, so it is not a difference;
- a Secret's `data` and `stringData` values never show: they are `***`, or `*** (before)` and
  `*** (after)` where one differs (`model.redaction`, as `kubectl diff` does); the keys do show.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from vessel.controller import gc
from vessel.errors import VesselError
from vessel.model.redaction import masked_pair, redact
from vessel.model.resource_key import ResourceKey
from vessel.policies.resources import ON_STATE_KEEP, WHOLE_OBJECT, ResourcePolicies, keep_live_fields
from vessel.store.records import AppRecord, EntryState, InventoryEntry
from vessel.targets.applied import desired_state, project

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


class DiffState:
    UNCHANGED = "unchanged"
    DRIFTED = "drifted"  # re-applying would change it
    MISSING = "missing"  # re-applying would create it
    DELETING = "deleting"  # a delete that failed; the steady-state loop retries it
    READ_ONLY = "read-only"
    SHARED = "shared"
    APPLY_ONCE = "apply-once"  # drift (if any) is kept on purpose
    UNREACHABLE = "unreachable"
    DIFFERENT = frozenset({DRIFTED, MISSING, DELETING})


@dataclass(frozen=True)
class ResourceDiff:
    """One inventory object compared: `diff` is a unified YAML diff (`--- live`, `+++ desired`), empty
    when there is nothing to show; `message` says why an object is left as it is, or what failed."""

    target: str
    key: ResourceKey
    component: str
    state: str  # a DiffState
    diff: str = ""
    message: str = ""

    def document(self) -> dict[str, Any]:
        """As `vessel diff -o json|yaml` prints it (and the API returns it): a list of these."""
        return {
            "target": self.target,
            "apiVersion": self.key.api_version,
            "kind": self.key.kind,
            "namespace": self.key.namespace,
            "name": self.key.name,
            "component": self.component,
            "state": self.state,
            "message": self.message,
            "diff": self.diff,
        }

    @property
    def differs(self) -> bool:
        """Whether reconciling would change the object (create, update or delete it)."""
        return self.state in DiffState.DIFFERENT


def diff_app(controller: Controller, app: AppRecord) -> list[ResourceDiff]:
    """Every inventory object of `app`, compared. Reads only: no apply, no store write."""
    policies = gc.resource_policies(controller, app)
    return [_diff_entry(controller, app, entry, policies) for entry in controller.store.inventory(app.id)]


def _diff_entry(
    controller: Controller, app: AppRecord, entry: InventoryEntry, policies: ResourcePolicies
) -> ResourceDiff:
    try:
        live = controller.targets.get(entry.target).get(entry.key)
    except VesselError as exc:
        return _result(entry, DiffState.UNREACHABLE, message=exc.render())
    if entry.state == EntryState.DELETING:
        gone = live is None
        return _result(entry, DiffState.UNCHANGED if gone else DiffState.DELETING, message=_DELETING[gone])
    if entry.state == EntryState.READING:
        return _left_alone(entry, live, DiffState.READ_ONLY, _READ_ONLY)
    if entry.state == EntryState.SHARING:
        if _written_by_others(controller, app, entry):
            return _left_alone(entry, live, DiffState.SHARED, _SHARED)
        return _compare(entry, live, entry.manifest, _HANDOVER)
    return _compare_kept(entry, live, policies)


def _compare_kept(
    entry: InventoryEntry, live: dict[str, Any] | None, policies: ResourcePolicies
) -> ResourceDiff:
    """An object this application writes, as state keeping re-applies it (apply-once honoured)."""
    manifest = entry.manifest
    paths = policies.apply_once_paths(manifest, ON_STATE_KEEP)
    if policies.apply_once_all or paths is not None:
        if live is None:
            return _result(entry, DiffState.APPLY_ONCE, message=f"missing: {_APPLY_ONCE}")
        if paths is None or WHOLE_OBJECT in paths:
            text = unified_diff(live, desired_state(manifest))
            return _result(entry, DiffState.APPLY_ONCE, text, "drift kept" if text else "")
        manifest = keep_live_fields(manifest, live, paths)
    return _compare(entry, live, manifest)


def _compare(
    entry: InventoryEntry, live: dict[str, Any] | None, manifest: Mapping[str, Any], message: str = ""
) -> ResourceDiff:
    desired = desired_state(manifest)
    if live is None:
        return _result(entry, DiffState.MISSING, unified_diff(None, desired), "would be created")
    text = unified_diff(live, desired)
    return _result(entry, DiffState.DRIFTED if text else DiffState.UNCHANGED, text, message)


def _left_alone(entry: InventoryEntry, live: dict[str, Any] | None, state: str, why: str) -> ResourceDiff:
    return _result(entry, state, message=why if live is not None else f"missing: {why}")


def _result(entry: InventoryEntry, state: str, diff: str = "", message: str = "") -> ResourceDiff:
    return ResourceDiff(entry.target, entry.key, entry.component, state, diff, redact(message))


_READ_ONLY = "this application only reads it"
_SHARED = "another application writes it"
_APPLY_ONCE = "apply-once does not re-create it"
_HANDOVER = "no other application writes it any more: reconciling takes it over"
_DELETING = {
    False: "its delete failed; reconciling deletes it",
    True: "already deleted; reconciling forgets it",
}


def _written_by_others(controller: Controller, app: AppRecord, entry: InventoryEntry) -> bool:
    """Like state keeping: a shared object nobody else writes any more is taken over (written) by this
    application, so it is compared as its own."""
    holders = controller.store.holders(entry.target, entry.key)
    return any(a != app.id and e.state in EntryState.WRITING for a, e in holders.items())


# --- the pure part ---------------------------------------------------------------------------------


def unified_diff(live: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> str:
    """A unified diff from the live projection to `desired` (all additions when `live` is None);
    empty when they are equal. A Secret's values are masked as `kubectl diff` masks them (`***`, or
    `*** (before)` / `*** (after)` where one changed), and any other secret value is redacted."""
    projected = None if live is None else project(live, desired)
    shown_live, shown_desired = masked_pair(projected, desired)
    before = "" if shown_live is None else _yaml(shown_live)
    after = _yaml(shown_desired)
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), "live", "desired"
    )
    return redact("".join(lines))


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True)


__all__ = ["DiffState", "ResourceDiff", "diff_app", "unified_diff"]
