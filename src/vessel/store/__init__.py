"""The store layer: persisted applications, revisions, runs, step records, inventory, targets, events."""

from vessel.store.connect import default_url
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
from vessel.store.store import Store

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
