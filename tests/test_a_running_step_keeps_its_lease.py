"""A step that runs longer than the lease keeps it: while the step runs, its driver renews the lease (a
heartbeat), so another driver never starts the same step again meanwhile. On a SQLite file and on
PostgreSQL.

The step itself moves the run's clock past the lease — it provably runs longer than the lease — waits
for the evidence that the lease was renewed after that (the store's lease expiry beyond the new time),
and then lets another driver try the run while it is still in flight.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from vessel.controller.controller import Controller
from vessel.store.records import RunPhase
from vessel.testing.engine import Harness
from vessel.workflow.step_api import Outcome, StepContext

LEASE = 0.6  # seconds of the run's clock; the heartbeat beats every LEASE / 3 s of real time
PROBES = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: probes}
spec:
  components: [{name: api, type: worker, properties: {image: "api:1"}}]
  workflow:
    steps: [{name: first, type: probe}, {name: second, type: probe}]
"""


@pytest.fixture
def h(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setenv("VESSEL_LEASE_SECONDS", str(LEASE))
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def renewed_after(h: Harness, run_id: int, moment: float, within: float = 5.0) -> bool:
    """Whether the store shows the lease renewed past `moment` (of the run's clock) within `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        expires = h.store.run(run_id).lease_expires
        if expires is not None and expires > moment:
            return True
        time.sleep(0.02)
    return False


def test_a_step_running_longer_than_the_lease_is_not_started_again_by_another_driver(h: Harness) -> None:
    calls: list[str] = []
    other = Controller(h.store, clock=h.clock, registry=h.registry, owner="other")
    renewed: list[bool] = []

    def probe(ctx: StepContext) -> Outcome:
        calls.append(f"{ctx.step.name}#{ctx.attempt}")
        if calls == ["first#1"]:
            h.clock.advance(LEASE * 3)  # this step now runs longer than the lease it started with
            renewed.append(renewed_after(h, ctx.run_id, h.clock.now()))
            other.reconcile(h.record("probes"))  # another driver tries the run while the step runs
        return Outcome.succeeded()

    steps = {**h.controller.engine.step_functions, "probe": probe}
    h.controller.engine.step_functions = other.engine.step_functions = steps
    h.up(PROBES)

    assert calls == ["first#1", "second#1"], "another driver started the running step again"
    assert renewed == [True], "the lease was not renewed while the step ran"
    run = h.store.latest_run(h.record("probes").id)
    assert run is not None and run.phase == RunPhase.SUCCEEDED
