"""Records from rows: one converter per record, shared by both ways the store is read.

The `Store` (SQLAlchemy) and `SqliteReads` (the standard library's sqlite3, for commands that only read)
run the same statements and hand their rows here, so a record read either way is the same record. A row
is anything with the columns as attributes, the JSON columns decoded and the booleans as `bool`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.model.redaction import remember_object
from vessel.model.resource_key import ResourceKey, canonical_kind
from vessel.store.records import AppRecord, Event, InventoryEntry, RunRecord, StepRecord
from vessel.targets.protocol import TargetInfo


def app_record(r: Any) -> AppRecord:
    return AppRecord(
        r.id,
        r.namespace,
        r.name,
        r.revision,
        r.latest_revision,
        r.phase,
        r.message,
        r.deleting,
        r.created_at,
        r.updated_at,
        r.source_dir,
    )


def run_record(r: Any) -> RunRecord:
    return RunRecord(
        r.id,
        r.app_id,
        r.revision,
        r.phase,
        r.message,
        r.steps,
        r.suspended,
        r.terminated,
        r.pruned,
        r.values,
        r.created_at,
        r.finished_at,
        r.lease_owner,
        r.lease_expires,
    )


def step_record(r: Any) -> StepRecord:
    return StepRecord(
        r.name,
        r.type,
        r.parent,
        r.phase,
        r.reason,
        r.message,
        r.attempts,
        r.errors,
        r.started_at,
        r.finished_at,
        r.next_attempt_at,
        r.outputs,
    )


def inventory_entry(r: Any) -> InventoryEntry:
    """An inventory entry; reading its manifest teaches this process the values of a Secret it holds
    (`model.redaction`), whichever way it was read."""
    if isinstance(r.manifest, Mapping):
        remember_object(r.manifest)
    return InventoryEntry(
        r.target,
        ResourceKey(r.api_version, _spelled_kind(r), r.namespace, r.name),
        r.component,
        r.revision,
        r.state,
        r.digest,
        r.manifest,
        r.role,
        r.status_basis,
        r.errors,
        r.next_attempt_at,
        r.last_error,
        r.live_version,
    )


def _spelled_kind(r: Any) -> str:
    """The kind as the manifest spells it; the `kind` column holds its canonical form (the key's)."""
    kind = r.manifest.get("kind") if isinstance(r.manifest, Mapping) else None
    return kind if isinstance(kind, str) and canonical_kind(kind) == r.kind else str(r.kind)


def event_record(r: Any) -> Event:
    return Event(r.id, r.at, r.type, r.reason, r.message)


def target_record(r: Any) -> tuple[TargetInfo, bool]:
    """A registered target, and whether it is the default."""
    return TargetInfo(r.name, r.type, r.labels, r.config), bool(r.is_default)
