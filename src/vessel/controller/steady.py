"""The cheap steady state: knowing that an application is exactly as the last pass left it, without
reading, comparing or judging its objects.

A long-running controller passes over every finished application again and again, and almost all of
them have not changed. Such a pass must cost almost nothing — and as little right after a restart, so
nothing it relies on lives only in memory. What it relies on is persisted:

- the application's phase is `running`, written by the full pass that last judged it healthy;
- its latest run succeeded and what it outdated was pruned;
- every inventory entry is `applied` (the manifest recorded is the one the target took) and carries
  the live version (`resourceVersion`) the target reported for it when that pass judged it: the one
  delivery recorded with its applied mark, or the one a full pass found and recorded with the phase.

When every object's current version on its target is still the recorded one, nothing that pass saw can
have changed: not the object (any change moves its version — spec, metadata, status, a deletion), not
its desired state (a new manifest comes with a new delivery and a new run, so the application is not
`running` until a full pass judged it again), not its health (judged from those very objects). So
nothing is re-applied, compared, judged or written. Otherwise the application takes the full pass
(`Controller._steady`), which corrects drift and judges health, and — once the application is
running — records the versions it found, with the phase.

Only targets that version their objects (`Versioned`: Kubernetes, memory) take part: a local target's
processes can crash without any version moving, so its objects always take the full pass.

A pass reads what this needs for every application in two queries (`Seen.load`: latest runs, entry
versions), however many applications there are; a single application's reconcile reads its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vessel.errors import VesselError
from vessel.model.resource_key import ResourceKey
from vessel.store.records import (
    AppRecord,
    EntryState,
    EntryVersion,
    InventoryEntry,
    Phase,
    RunPhase,
    RunState,
)
from vessel.store.store import Store
from vessel.targets.protocol import Versioned, live_version_of

if TYPE_CHECKING:
    from vessel.controller.controller import Controller

Versions = list[tuple[str, ResourceKey, str | None]]  # (target, key, live version) to record


class Seen:
    """What a pass read of the store for the applications it reconciles, and the targets it met."""

    def __init__(self, runs: dict[int, RunState], entries: dict[int, list[EntryVersion]]):
        self.runs = runs
        self.entries = entries
        self._targets: dict[str, Versioned | None] = {}  # by name; None: not versioned, or unknown

    @classmethod
    def load(cls, store: Store, app_id: int | None = None) -> Seen:
        """Every application's latest run and entry versions (or one application's)."""
        return cls(store.latest_runs(app_id), store.entry_versions(app_id))

    def unchanged(self, controller: Controller, app: AppRecord) -> bool:
        """Whether `app` is exactly as the pass that last judged it running left it (module docstring)."""
        if app.deleting or app.phase != Phase.RUNNING or app.message:
            return False
        run = self.runs.get(app.id)
        if run is None or run.phase != RunPhase.SUCCEEDED or not run.pruned:
            return False
        return all(self._still(controller, entry) for entry in self.entries.get(app.id, ()))

    def _still(self, controller: Controller, entry: EntryVersion) -> bool:
        if entry.state != EntryState.APPLIED or entry.live_version is None:
            return False
        try:
            target = self._target(controller, entry.target)
            return target is not None and target.live_version(entry.key) == entry.live_version
        except VesselError:  # unreachable, unregistered…: the full pass says what is wrong
            return False

    def _target(self, controller: Controller, name: str) -> Versioned | None:
        if name not in self._targets:
            target = controller.targets.get(name)
            self._targets[name] = target if isinstance(target, Versioned) else None
        return self._targets[name]


def found_versions(
    controller: Controller, inventory: list[InventoryEntry], lives: Mapping[tuple[str, ResourceKey], Any]
) -> Versions:
    """The live versions a full pass found its applied objects at, where they differ from the recorded
    ones (objects on targets that do not version theirs have none to record)."""
    found: Versions = []
    for entry in inventory:
        live = lives.get((entry.target, entry.key))
        if entry.state != EntryState.APPLIED or live is None:
            continue
        version = live_version_of(live)
        if version != entry.live_version and isinstance(controller.targets.get(entry.target), Versioned):
            found.append((entry.target, entry.key, version))
    return found
