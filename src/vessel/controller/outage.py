"""Waiting out a store outage: the one place Vessel retries what the store could not do.

The store says when it failed in a way that passes (`StoreOutageError`: connection lost, no answer in
time, disk full, locked — store/outage.py); it never retries by itself, because only its caller knows
what is safe to do again. Here, the unit done again is a *pass*: reconciling the applications once
(`vessel run`), or one round of driving a run (`vessel up`, `Controller.drive`). A pass is safe to redo
whatever the outage interrupted, because the engine decides everything from what the store holds: a
write that never committed is simply decided and written again; a write whose COMMIT outcome is unknown
is read back by the next pass, which goes on from whichever state was saved.

What that guarantees for steps (workflow/engine.py marks a step running before it executes it):

- a step's outcome is recorded once: the next pass reads it back and never runs a finished step again;
- a step whose outcome could not be recorded (the store failed while it ran or while its result was
  written) is still `running` in the store, and runs once more when the store is back — at most once per
  outage that hit it, with its attempt counted, as after a crash. Steps are idempotent by design;
- nothing of a failed transaction is left half-written (the database rolled it back).

While it waits, the pass is not done and nothing else happens in this process; the wait grows
1, 2, 4, 8 s up to `RETRY_CAP_S`, each announced through `notice` ("store unavailable, retrying in 4s:
<what and where>"), and ends when the store answers again — or with the StoreOutageError once `patience`
seconds have passed since the outage began, or when `stop()` says so (Ctrl-C).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from vessel.errors import StoreOutageError
from vessel.workflow import backoff
from vessel.workflow.clock import Clock

T = TypeVar("T")
RETRY_CAP_S = 10.0  # the longest wait between two tries: a store that is back is used within this


def _quiet(message: str) -> None:
    return None


def _never() -> bool:
    return False


@dataclass
class Outages:
    """How a process that drives work waits for its store: `notice` is told each wait and each return,
    `patience` bounds an outage (None: wait as long as it lasts), `stop` ends a wait early."""

    clock: Clock
    notice: Callable[[str], None] = _quiet
    patience: float | None = None
    stop: Callable[[], bool] = field(default=_never)

    def waited_out(self, work: Callable[[], T], deadline: float | None = None) -> T:
        """`work()`, done again after each StoreOutageError until it succeeds; the error once
        `patience` runs out, `deadline` (a clock time) passes, or `stop()` is true."""
        began: float | None = None
        failures = 0
        while True:
            try:
                result = work()
            except StoreOutageError as exc:
                began = self.clock.now() if began is None else began
                failures += 1
                give_up_at = self._give_up_at(began, deadline)
                if give_up_at is not None and self.clock.now() >= give_up_at:
                    raise StoreOutageError(
                        f"{exc.message}; still unavailable after {self.clock.now() - began:.0f}s of retrying",
                        hint=exc.hint,
                        committing=exc.committing,
                    ) from None
                self._wait(exc, failures, give_up_at)
                continue
            if failures:
                self.notice(f"store available again after {self.clock.now() - (began or 0):.0f}s; going on")
            return result

    def _give_up_at(self, began: float, deadline: float | None) -> float | None:
        patience = None if self.patience is None else began + self.patience
        return min((t for t in (deadline, patience) if t is not None), default=None)

    def _wait(self, exc: StoreOutageError, failures: int, give_up_at: float | None) -> None:
        delay = backoff.delay(failures, cap=RETRY_CAP_S)
        if give_up_at is not None:
            delay = min(delay, give_up_at - self.clock.now())
        self.notice(f"store unavailable, retrying in {round(delay, 1):g}s: {exc.render()}")
        slept = 0.0
        while slept < delay:  # in slices, so that a stop request is seen within a second
            if self.stop():
                raise exc
            step = min(1.0, delay - slept)
            self.clock.sleep(step)
            slept += step
