"""Keeping a run's lease while one of its steps runs.

The lease in the run row says which process drives a run (engine.py); the driver renews it before each
step and before recording a step's outcome. A single step may take longer than the lease — a deploy
waiting for a slow apply, a webhook with a long timeout — and without renewal meanwhile another process
would find the lease expired and start the same step again while it is still running. So while steps
execute, a thread of the engine renews their runs' leases every third of the lease's length. It stops
renewing a run the moment its step ends (waiting for a renewal in progress), so a driver that is gone, or
frozen, renews nothing and its runs are taken over as before.

One thread serves every step of the engine and exits once no step has run for a beat: starting a thread
per step would cost more than most steps (a health poll). A renewal that finds the lease taken (the store
was unreachable for longer than the lease, and another process took the run over) is not retried; the
engine finds out when it renews before recording the outcome, and writes nothing (LeaseLost). One the
store cannot do for a moment (an outage) is tried again at the next beat.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from vessel.errors import StoreUnavailableError
from vessel.store.store import Store
from vessel.workflow.clock import Clock


class Heartbeat:
    """Renews `owner`'s lease on the runs whose steps are inside `kept(run_id)`."""

    def __init__(self, store: Store, clock: Clock, owner: str, seconds: float):
        self.store, self.clock, self.owner, self.seconds = store, clock, owner, seconds
        self._changed = threading.Condition()
        self._running: Counter[int] = Counter()  # run id -> its steps executing now
        self._lost: set[int] = set()  # runs another process took over: no more renewals
        self._renewing: int | None = None
        self._thread: threading.Thread | None = None

    @contextmanager
    def kept(self, run_id: int) -> Iterator[None]:
        """The lease on `run_id` is renewed while the block runs, and not once after it."""
        with self._changed:
            self._running[run_id] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._changed:
                self._running[run_id] -= 1
                if self._running[run_id] <= 0:
                    del self._running[run_id]
                    self._lost.discard(run_id)
                while self._renewing == run_id:
                    self._changed.wait()

    def _beat(self) -> None:
        try:
            self._beat_while_steps_run()
        finally:
            with self._changed:
                self._thread = None

    def _beat_while_steps_run(self) -> None:
        interval = self.seconds / 3
        with self._changed:
            while True:
                due = time.monotonic() + interval
                while (left := due - time.monotonic()) > 0:
                    self._changed.wait(left)
                if not self._running:
                    return  # idle for a beat: the next step starts another thread
                for run_id in [r for r in self._running if r not in self._lost]:
                    self._renew(run_id)

    def _renew(self, run_id: int) -> None:
        """Renew one lease, with the lock released meanwhile (called holding it)."""
        self._renewing = run_id
        self._changed.release()
        try:
            kept = self.store.acquire_lease(run_id, self.owner, self.clock.now(), self.seconds)
        except StoreUnavailableError:
            kept = True  # unknown for now: try again at the next beat
        finally:
            self._changed.acquire()
            self._renewing = None
            self._changed.notify_all()
        if not kept and run_id in self._running:
            self._lost.add(run_id)  # taken over: the engine finds out before it records anything
