"""The store layer: persisted applications, revisions, runs, step records, inventory, targets, events."""

from vessel.store.records import (
    AppRecord,
    EntryState,
    Event,
    InventoryEntry,
    Phase,
    RevisionRecord,
    RunPhase,
    RunRecord,
    StepPhase,
    StepRecord,
)
from vessel.store.store import Store, default_url

__all__ = [
    "AppRecord",
    "EntryState",
    "Event",
    "InventoryEntry",
    "Phase",
    "RevisionRecord",
    "RunPhase",
    "RunRecord",
    "StepPhase",
    "StepRecord",
    "Store",
    "default_url",
]
