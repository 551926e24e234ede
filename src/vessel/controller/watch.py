"""Watching an application until it settles: what `vessel status -w` prints (and an API watch will stream).

A watch only reads: it drives nothing, so it never competes with the process that does. It takes the
status document every `interval` seconds and reports it whenever it changed, until the application
*settles* — its workflow failed or was terminated, waits for a person (a suspension without an end
time), or succeeded with every service healthy — or is deleted. Whether the workflow is being driven
at all is reported too: a run that no live process holds a lease on does not move until `vessel run`
(or another `vessel up`) picks it up, and a watcher should be told so rather than wait in silence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vessel.controller import driving
from vessel.controller.status import status_of
from vessel.store.records import AppRecord, RunPhase, RunRecord

if TYPE_CHECKING:
    from vessel.controller.controller import Controller

FAILED = frozenset({RunPhase.FAILED, RunPhase.TERMINATED})


@dataclass(frozen=True)
class Change:
    """One observation worth reporting: the status document (None once the application is deleted),
    whether it is settled (and if so, whether badly), and whether a live process drives its workflow."""

    document: dict[str, Any] | None
    settled: bool
    failed: bool
    driven: bool


def watch(
    controller: Controller,
    namespace: str,
    name: str,
    *,
    instances: bool = False,
    timeout: float | None = None,
    interval: float = 1.0,
) -> Iterator[Change]:
    """The application's status now, then each time it changes, until it settles or is deleted (the
    last change says which) or `timeout` seconds pass (the last change is then not settled). Raises
    NotFoundError if it does not exist to begin with."""
    deadline = None if timeout is None else controller.clock.now() + timeout
    app: AppRecord | None = controller.find(namespace, name)
    last: Change | None = None
    while app is not None:
        change = observe(controller, app, instances=instances)
        if last is None or _differs(change, last):
            yield change
            last = change
        if change.settled or (deadline is not None and controller.clock.now() >= deadline):
            return
        pause = interval if deadline is None else min(interval, deadline - controller.clock.now())
        controller.clock.sleep(pause)
        app = controller.store.app(namespace, name)
    yield Change(None, True, False, False)


def observe(controller: Controller, app: AppRecord, *, instances: bool = False) -> Change:
    run = controller.store.latest_run(app.id)
    document = status_of(controller, app, instances=instances)
    failed = run is not None and run.phase in FAILED
    return Change(document, failed or _settled(controller, run, document), failed, _driven(controller, run))


def _settled(controller: Controller, run: RunRecord | None, document: dict[str, Any]) -> bool:
    if run is None or document["phase"] == "deleting":
        return False
    if run.phase == RunPhase.SUSPENDING:
        return not controller.engine.resumes_by_itself(run.id)
    return run.phase == RunPhase.SUCCEEDED and all(s["healthy"] for s in document["services"])


def _driven(controller: Controller, run: RunRecord | None) -> bool:
    """Whether a live process drives the run (a finished run needs nobody)."""
    if run is None or run.finished:
        return True
    return driving.driver(run, controller.clock.now()) is not None


def _differs(a: Change, b: Change) -> bool:
    same = json.dumps(a.document, sort_keys=True) == json.dumps(b.document, sort_keys=True)
    return not same or (a.settled, a.driven) != (b.settled, b.driven)
