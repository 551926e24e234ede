"""The store layer: persisted applications, revisions, runs, step records, inventory, targets, events.

The names below are imported on first use: the records are plain dataclasses, and a module that only
needs one of them must not import SQLAlchemy and Alembic with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vessel.store.location import default_url
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

_RECORDS = (
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
)
_WHERE = {**dict.fromkeys(_RECORDS, "records"), "Store": "store", "default_url": "location"}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vessel.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"vessel.store.{module}"), name)
    globals()[name] = value
    return value
