"""The API's request threads share one target registry (`StoreTargets`). A thread that has to read the
registry from the store while the pool's connections are all held — by other requests in their store
sessions, which need the registry too — must not hold the registry's lock while it waits: those
requests would wait for the lock, never give their connections back, and every request would stop
until the pool's timeout (50 concurrent applies did exactly that: 500s after 30 s)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from vessel.controller.targets import StoreTargets
from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo


@pytest.mark.timeout(30)
def test_a_read_waiting_on_the_store_does_not_block_the_others(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'vessel.db'}")
    store.add_target(TargetInfo("mem", "memory", {}, {}), default=True, now=0.0)
    targets = StoreTargets(store)
    read = store.targets
    entered, release = threading.Event(), threading.Event()

    def first_read_waits() -> list[tuple[TargetInfo, bool]]:
        if threading.current_thread().name == "waiting":  # as if no connection were free yet
            entered.set()
            release.wait(20)
        return read()

    store.targets = first_read_waits  # type: ignore[method-assign]
    waiting = threading.Thread(target=targets.infos, name="waiting")
    waiting.start()
    assert entered.wait(10)
    answered: list[str] = []
    other = threading.Thread(target=lambda: answered.append(targets.default()), name="other")
    other.start()
    other.join(5)
    try:
        assert answered == ["mem"], "another request waited for the one that waits on the store"
    finally:
        release.set()
        waiting.join(10)
        store.close()
