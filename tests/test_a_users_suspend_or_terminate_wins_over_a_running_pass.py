"""A person's `vessel workflow suspend` (or `terminate`) wins over a driver that is in the middle of a
pass: the driver's later writes never undo it, and it starts no further step; the step that was in
flight finishes. Tested with a real interleaving on both stores: the driver is inside a step when the
operation lands through another controller on the same store (as the CLI in another process does),
then the driver carries on with its pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from vessel.controller.controller import Controller
from vessel.store import Phase, RunPhase
from vessel.store.records import AppRecord, RunRecord, StepPhase
from vessel.testing.engine import Harness
from vessel.workflow.step_api import Outcome, StepContext

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components: [{name: api, type: worker, properties: {image: "api:1"}}]
  workflow:
    steps: [{name: first, type: probe}, {name: second, type: probe}, {name: last, type: probe}]
"""
STEPS = ("first", "second", "last")


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def _run(h: Harness) -> RunRecord:
    run = h.store.latest_run(h.record("shop").id)
    assert run is not None
    return run


def _interleave(h: Harness, during: str, operation: Callable[[Controller, AppRecord], None]) -> list[str]:
    """Drive the workflow; while step `during` executes, `operation` lands from another controller."""
    user = Controller(h.store, clock=h.clock, registry=h.registry, owner="user-cli")
    calls: list[str] = []

    def probe(ctx: StepContext) -> Outcome:
        calls.append(ctx.step.name)
        if ctx.step.name == during and calls.count(during) == 1:
            operation(user, user.find("default", "shop"))
        return Outcome.succeeded()

    h.controller.engine.step_functions = {**h.controller.engine.step_functions, "probe": probe}
    h.up(APP)
    return calls


@pytest.mark.parametrize("during", ["second", "last"])
def test_a_suspend_during_a_step_holds_the_run_after_that_step(h: Harness, during: str) -> None:
    calls = _interleave(h, during, Controller.suspend)
    assert calls == list(STEPS[: STEPS.index(during) + 1]), "a step started after the suspend"
    run = _run(h)
    assert (run.phase, run.suspended) == (RunPhase.SUSPENDING, True), "the driver's writes undid the suspend"
    assert h.record("shop").phase == Phase.SUSPENDING
    assert h.store.steps(run.id)[during].phase == StepPhase.SUCCEEDED  # the step in flight finished

    h.controller.resume(h.record("shop"))
    assert h.controller.drive(h.record("shop")).phase == Phase.RUNNING
    assert calls == list(STEPS) and _run(h).phase == RunPhase.SUCCEEDED


@pytest.mark.parametrize("during", ["second", "last"])
def test_a_terminate_during_a_step_ends_the_run_there(h: Harness, during: str) -> None:
    calls = _interleave(h, during, Controller.terminate)
    assert calls == list(STEPS[: STEPS.index(during) + 1]), "a step started after the terminate"
    run = _run(h)
    assert (run.phase, run.terminated) == (RunPhase.TERMINATED, True), "the driver's writes undid it"
    assert h.record("shop").phase == Phase.TERMINATED
