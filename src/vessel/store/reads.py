"""What reading the store's records takes: the methods both the `Store` and `SqliteReads` have.

Commands that only read (`vessel ls`, `status`, `events`, `revision list`) and the views they print
(`controller/views.py`, `controller/status.py`) ask for this, not for a `Store`, so they work the same
on either; `cli/session.py` chooses which one a command gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from vessel.store.records import AppRecord, Event, InventoryEntry, RunRecord, StepRecord
from vessel.targets.protocol import TargetInfo


class RecordReads(Protocol):
    def apps(self) -> list[AppRecord]: ...

    def app(self, namespace: str, name: str) -> AppRecord | None: ...

    def latest_run(self, app_id: int) -> RunRecord | None: ...

    def steps(self, run_id: int) -> dict[str, StepRecord]: ...

    def inventory(self, app_id: int) -> list[InventoryEntry]: ...

    def targets(self) -> list[tuple[TargetInfo, bool]]: ...

    def revision_outline(self, app_id: int, number: int) -> tuple[dict[str, Any], list[str], str | None]: ...

    def definition_documents(self, digests: Sequence[str]) -> list[dict[str, Any]]: ...

    def revisions(self, app_id: int) -> list[tuple[int, str, float]]: ...

    def revision_specs(self, app_id: int) -> list[tuple[int, str, dict[str, Any]]]: ...

    def events(self, app_id: int, limit: int = 200) -> list[Event]: ...

    def close(self) -> None: ...
