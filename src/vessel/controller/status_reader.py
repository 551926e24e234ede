"""What `vessel status` reads, without a controller.

An application's status is its records, the live objects on its targets and its revision's definitions
to judge them by (`controller/status.py`): no workflow engine, no step type, no lease. A `Controller`
brings all of those with it, and importing it is a good part of a command's start-up; this brings only
what status reads. Its revisions are rebuilt from their snapshots as the controller rebuilds them
(`controller/revisions.py`), so both judge alike; a revision's Application is parsed only when asked for
(judging health needs only its definitions, and most applications have no warnings to show).
"""

from __future__ import annotations

from collections.abc import Callable

from vessel.controller.reader import StoreReader
from vessel.controller.revisions import application_from_snapshot, registry_from_snapshot
from vessel.controller.targets import StoreTargets
from vessel.definitions.lru import BoundedCache
from vessel.definitions.registry import Registry
from vessel.model.application import Application
from vessel.model.strictness import tolerates_unknown
from vessel.render.status_basis import StatusBasis
from vessel.store.reads import RecordReads
from vessel.workflow.clock import Clock, SystemClock

STATUS_BASES, STATUS_BASES_BYTES = 256, 4 * 1024 * 1024  # one command's: a few applications' workloads


class StatusReader(StoreReader):
    """The `controller.reader.Sees` of a command that reads one application's status and drives nothing.
    `live_registry` builds today's definitions: only a snapshot naming a Python plugin's needs them."""

    def __init__(
        self, store: RecordReads, live_registry: Callable[[], Registry], clock: Clock | None = None
    ) -> None:
        super().__init__(store)
        self.clock: Clock = clock or SystemClock()
        self.targets = StoreTargets(store)
        self.status_bases: BoundedCache[StatusBasis] = BoundedCache(STATUS_BASES, STATUS_BASES_BYTES)
        self._live_registry = live_registry
        self._registries: dict[tuple[int, int], Registry] = {}
        self._applications: dict[tuple[int, int], Application] = {}

    def revision_registry(self, app_id: int, revision: int) -> Registry:
        key = (app_id, revision)
        if key not in self._registries:
            _, digests, _ = self.store.revision_outline(app_id, revision)
            documents = self.store.definition_documents(digests)
            self._registries[key] = registry_from_snapshot(documents, self._live_registry)
        return self._registries[key]

    def revision_context(self, app_id: int, revision: int) -> tuple[Application, Registry]:
        key = (app_id, revision)
        if key not in self._applications:
            spec, _, _ = self.store.revision_outline(app_id, revision)
            self._applications[key] = application_from_snapshot(spec)
        return self._applications[key], self.revision_registry(app_id, revision)

    def tolerates_unknown(self, app_id: int, revision: int) -> bool:
        """What the revision's annotations say, read from its stored spec without parsing it (nor
        importing the parser's schema checks): most applications do not, and then nothing else needs
        their Application."""
        spec, _, _ = self.store.revision_outline(app_id, revision)
        metadata = spec.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        return tolerates_unknown(annotations if isinstance(annotations, dict) else {})

    def close(self) -> None:
        self.targets.close()
