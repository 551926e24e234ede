"""The warnings of an application that tolerates unknown properties (`model/strictness.py`).

With `app.vessel.dev/unknown-properties: warn`, rendering drops what a definition does not declare; this
module says what was dropped, each with its file, line and field, and the declared field it was
probably meant to be. It works from the Application and its definitions alone — no render, no store —
so `vessel status` can say it again from a stored revision, and `up`, `dry-run` and `vet` when reading.
"""

from __future__ import annotations

from collections.abc import Iterator

from vessel.definitions.check import uses
from vessel.definitions.registry import Registry
from vessel.model.application import Application
from vessel.model.strictness import UNKNOWN_PROPERTIES, WARN
from vessel.model.suggest import did_you_mean

IGNORED = f"unknown field, ignored as {UNKNOWN_PROPERTIES}: {WARN} asks"


def unknown_property_warnings(app: Application, registry: Registry) -> list[str]:
    """One message per unknown property, if `app` tolerates them; none if it does not (they are errors)."""
    return list(_warnings(app, registry)) if app.tolerates_unknown else []


def _warnings(app: Application, registry: Registry) -> Iterator[str]:
    for use in uses(app):
        definition = registry.find(use.kind, use.type)
        if definition is None:
            continue  # an unknown type is an error of its own
        for unknown in definition.parameters.unknown(use.properties):
            where = app.locate((*use.path, "properties", *unknown.path))
            yield f"{where}: {IGNORED}{did_you_mean(str(unknown.path[-1]), unknown.known)}"
