"""The controller loop: a reconcile pass over every application, again and again, until told to stop.

`vessel run` runs it in the foreground; `vessel server` runs it in a thread beside the API. A pass
reads the target registry again first, so targets added, changed or removed by other commands are
seen, and so are addons enabled, upgraded or disabled by another process (the definitions are built
again). One broken application never stops the loop (its error is reported and the pass goes on); the
store's own outages are waited out (controller/outage.py) and the pass is done again once it answers.
Stopping is checked before each step and between applications: a stop lets the step being executed
complete and be recorded, starts no other, and the caller then releases the leases
(`Controller.close`), so the next driver goes on from exactly there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vessel.controller.controller import Controller
from vessel.errors import StoreOutageError, StoreUnavailableError, ValidationError
from vessel.store.records import AppRecord

INTERVAL_RANGE = (0.1, 86400.0)  # a negative or zero interval would spin a core; NaN never compares


def check_interval(interval: float, option: str = "--interval") -> None:
    low, high = INTERVAL_RANGE
    if not low <= interval <= high:
        raise ValidationError(f"{option}: {interval:g} is not a number of seconds from {low:g} to {high:g}")


def _ignore_change(before: str, after: AppRecord) -> None:
    return None


def _ignore_error(app: AppRecord, exc: Exception) -> None:
    return None


def _ignore_pass(seconds: float) -> None:
    return None


@dataclass
class ReconcileLoop:
    """Passes every `interval` seconds until `stopping()` says so. `pause(seconds)` waits between passes
    (a stop must be able to cut it short); the `on_…` callbacks let the caller print or count."""

    controller: Controller
    interval: float
    stopping: Callable[[], bool]
    pause: Callable[[float], None] = time.sleep
    on_change: Callable[[str, AppRecord], None] = field(default=_ignore_change)  # (phase before, after)
    on_error: Callable[[AppRecord, Exception], None] = field(default=_ignore_error)
    on_pass: Callable[[float], None] = field(default=_ignore_pass)  # how long a pass took, in seconds

    def run(self, once: bool = False) -> None:
        self.controller.outages.stop = self.stopping
        self.controller.engine.stopping = self.stopping  # a stop starts no further step
        while not self.stopping():
            started = time.monotonic()
            try:
                self.controller.outages.waited_out(self.one_pass)
            except StoreOutageError:
                if self.stopping():
                    break
                raise
            self.on_pass(time.monotonic() - started)
            if once:
                break
            self.pause(max(0.0, self.interval - (time.monotonic() - started)))

    def one_pass(self) -> None:
        ctl = self.controller
        ctl.targets.refresh()  # targets added, changed or removed by other commands since the last pass
        ctl.sync_definitions()  # addons enabled, upgraded or disabled by another process since then
        apps = ctl.store.apps()
        seen = ctl.seen()  # read for every application at once: unchanged ones then cost no query
        for app in apps:
            if self.stopping():
                return
            try:
                after = ctl.reconcile(app, seen)
                if after.phase != app.phase:
                    self.on_change(app.phase, after)
            except StoreUnavailableError:  # the store's problem, not the application's: the pass waits
                raise
            except Exception as exc:  # one broken application must not stop the loop
                self.on_error(app, exc)
