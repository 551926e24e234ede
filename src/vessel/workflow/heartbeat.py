"""Keeping a run's lease while one of its steps runs.

The lease in the run row says which process drives a run (engine.py); the driver renews it before each
step and before recording a step's outcome. A single step may take longer than the lease — a deploy
waiting for a slow apply, a webhook with a long timeout — and without renewal meanwhile another process
would find the lease expired and start the same step again while it is still running. So while a step
executes, a small thread renews the lease every third of its length, and stops (and is joined) with the
step: a driver that is gone, or frozen, renews nothing, and its runs are taken over as before.

If a renewal finds the lease taken (the store was unreachable for longer than the lease, and another
process took the run over) the heartbeat stops; the engine finds out when it renews before recording
the outcome, and writes nothing (LeaseLost). A renewal the store cannot do for a moment (an outage) is
tried again at the next beat.
"""

from __future__ import annotations

import threading
from types import TracebackType

from vessel.errors import StoreUnavailableError
from vessel.store.store import Store
from vessel.workflow.clock import Clock


class Heartbeat:
    """`with Heartbeat(...):` renews `owner`'s lease on run `run_id` while the block runs."""

    def __init__(self, store: Store, clock: Clock, run_id: int, owner: str, seconds: float):
        self.store, self.clock = store, clock
        self.run_id, self.owner, self.seconds = run_id, owner, seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stopped.set()
        self._thread.join()  # no renewal after the step: a driver that died in it must lose its lease

    def _beat(self) -> None:
        while not self._stopped.wait(self.seconds / 3):
            try:
                if not self.store.acquire_lease(self.run_id, self.owner, self.clock.now(), self.seconds):
                    return  # taken over: the engine finds out before it records anything
            except StoreUnavailableError:
                continue
