"""Reading the records the store holds, without a controller.

Listing applications, their events and their revisions reads rows and nothing else: no target, no
definition, no workflow. A `Controller` brings all of those with it (importing it costs a command a
good part of its start-up), so the commands that only read records get a `StoreReader`, and the views
(`controller/views.py`) accept either: both have the `store` and `find` the views use. The store is
any `RecordReads`: the `Store`, or a SQLite file read without SQLAlchemy (`store/sqlite_reads.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from vessel.errors import NotFoundError
from vessel.store.reads import RecordReads
from vessel.store.records import AppRecord

if TYPE_CHECKING:
    from vessel.definitions.lru import BoundedCache
    from vessel.definitions.registry import Registry
    from vessel.model.application import Application
    from vessel.render.status_basis import StatusBasis
    from vessel.targets.protocol import Target
    from vessel.workflow.clock import Clock


class Reads(Protocol):
    """What the record views need: the store, and an application found by name."""

    @property
    def store(self) -> RecordReads: ...

    def find(self, namespace: str, name: str) -> AppRecord: ...


class Targets(Protocol):
    def get(self, name: str) -> Target: ...


class Sees(Reads, Protocol):
    """What an application's status needs (`controller/status.py`): its records, the clock, the live
    objects on its targets, and its revisions' definitions to judge them by. A `Controller` has all of
    it; so has a `StatusReader` (`controller/status_reader.py`), which imports no engine."""

    @property
    def clock(self) -> Clock: ...

    @property
    def targets(self) -> Targets: ...

    @property
    def status_bases(self) -> BoundedCache[StatusBasis]: ...

    def revision_context(self, app_id: int, revision: int) -> tuple[Application, Registry]: ...

    def revision_registry(self, app_id: int, revision: int) -> Registry:
        """The revision's definitions alone: judging health needs no parsed Application."""
        ...

    def tolerates_unknown(self, app_id: int, revision: int) -> bool:
        """Whether the revision's Application tolerates unknown properties (`model/strictness.py`)."""
        ...


class StoreReader:
    def __init__(self, store: RecordReads) -> None:
        self.store = store

    def find(self, namespace: str, name: str) -> AppRecord:
        return find_app(self.store, namespace, name)


def find_app(store: RecordReads, namespace: str, name: str) -> AppRecord:
    """The application `namespace/name`, or NotFoundError saying where to look."""
    app = store.app(namespace, name)
    if app is None:
        raise no_such_app(namespace, name)
    return app


def no_such_app(namespace: str, name: str) -> NotFoundError:
    """What asking for an application that does not exist answers (and one the caller may not see)."""
    return NotFoundError(f"application {namespace}/{name} does not exist", hint="see `vessel ls`")
