"""An application's logs: which of its objects have any (each component's workload), read from their
targets with the options `vessel logs` and the API pass: tail, since, timestamps, follow; and the lines
of several workloads as one sequence — in turn, or as they arrive when followed (`merged`)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
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


Line = tuple[str, str]  # (component, line)


def in_turn(streams: list[tuple[str, Iterator[str]]]) -> Iterator[Line]:
    """Each stream's lines, one stream after the other (what a log that is not followed prints)."""
    for component, lines in streams:
        for line in lines:
            yield component, line


def merged(
    streams: list[tuple[str, Iterator[str]]],
    *,
    stopped: Callable[[], bool] = lambda: False,
    heartbeat: float | None = None,
) -> Iterator[Line | None]:
    """Every stream's lines as they arrive, from whichever wrote them, until all have ended (an error in
    one is raised here) or `stopped()` says so (asked every POLL_S). With `heartbeat`, None is yielded
    after that many seconds without a line, so a caller streaming to a client can say it is still there.

    A thread per stream (the targets' follows block between lines). On the way out the streams are
    closed: at once where idle, otherwise by their thread when it next wakes (a thread blocked waiting
    for a line ends with the process: they are daemons)."""
    arrived: queue.Queue[Line | Exception | None] = queue.Queue()
    stop = threading.Event()
    for component, lines in streams:
        name = f"vessel-logs {component}"
        threading.Thread(target=_pump, args=(component, lines, arrived, stop), name=name, daemon=True).start()
    try:
        running, quiet = len(streams), 0.0
        while running and not stopped():
            try:
                item = arrived.get(timeout=POLL_S)
            except queue.Empty:
                quiet += POLL_S
                if heartbeat is not None and quiet >= heartbeat:
                    quiet = 0.0
                    yield None
                continue
            quiet = 0.0
            if item is None:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item
    finally:
        stop.set()
        for _, lines in streams:
            _close(lines)


POLL_S = 0.25


def _pump(
    component: str, lines: Iterator[str], arrived: queue.Queue[Line | Exception | None], stop: threading.Event
) -> None:
    try:
        for line in lines:
            if stop.is_set():
                break
            arrived.put((component, line))
    except Exception as exc:  # raised by the thread reading `merged`
        arrived.put(exc)
    finally:
        _close(lines)
        arrived.put(None)


def _close(lines: Iterator[str]) -> None:
    """Close a generator unless another thread is running it right now (that thread closes it)."""
    close = getattr(lines, "close", None)
    if close is not None and not getattr(lines, "gi_running", False):
        with contextlib.suppress(ValueError):  # it started running meanwhile
            close()
