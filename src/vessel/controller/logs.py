"""An application's logs: which of its objects have any (each component's workload), read from their
targets with the options `vessel logs` (and, later, the API) pass: tail, since, timestamps, follow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vessel.errors import NotFoundError
from vessel.store.records import AppRecord, InventoryEntry

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


@dataclass(frozen=True)
class LogOptions:
    tail: int | None = None  # the last N lines of each instance
    since: float | None = None  # only lines written in the last N seconds
    timestamps: bool = False  # head each line with the time it was written
    follow: bool = False  # keep yielding lines as they are written


def workloads(controller: Controller, app: AppRecord, component: str | None) -> list[InventoryEntry]:
    """The workload of each component (or of the one named); NotFoundError when there is none."""
    found = [
        e
        for e in controller.store.inventory(app.id)
        if not e.role and (component is None or e.component == component)
    ]
    if not found:
        what = f"component {component!r} of " if component else ""
        raise NotFoundError(f"no running workload for {what}{app.namespace}/{app.name}")
    return found


def log_streams(
    controller: Controller, app: AppRecord, component: str | None, options: LogOptions
) -> list[tuple[str, Iterator[str]]]:
    """(component, its lines) for each workload, in inventory order. Followed streams block between
    lines: close them when done (see `Target.logs`)."""
    return [
        (
            entry.component,
            controller.targets.get(entry.target).logs(
                entry.key,
                options.tail,
                follow=options.follow,
                since=options.since,
                timestamps=options.timestamps,
            ),
        )
        for entry in workloads(controller, app, component)
    ]
