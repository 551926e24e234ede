"""The definitions of the enabled addons, built from the store: what every process adds to its registry.

They sit between plugins and `--definitions` directories (`definitions/registry.py`): an addon can
replace a built-in, and a platform team's own directory still has the last word.
"""

from __future__ import annotations

from collections.abc import Iterable

from vessel.addons.package import AddonFile, definitions_of
from vessel.definitions.definition import Definition
from vessel.store.addons import AddonRecord, AddonStore
from vessel.store.store import Store


def addon_definitions(store: Store) -> list[Definition]:
    return definitions_of_records(AddonStore(store).enabled())


def definitions_of_records(records: Iterable[AddonRecord]) -> list[Definition]:
    found: list[Definition] = []
    for record in records:
        files = tuple(AddonFile(path, text) for path, text in record.files)
        found.extend(definitions_of(f"{record.name}@{record.version}", files, eager=False))
    return found


def addons_generation(store: Store) -> int:
    """Changes whenever the enabled set does: a process compares it with the one its definitions were built
    from (`Controller.sync_definitions`)."""
    return AddonStore(store).generation()
