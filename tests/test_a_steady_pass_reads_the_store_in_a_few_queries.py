"""A reconcile pass over finished, unchanged applications asks the store a few questions whatever their
number — the targets, the applications, their latest runs, their entries' live versions — and writes
nothing, touching no object: each object's live version is still the one recorded when it was last
found up to date (`controller/steady.py`). A restarted controller knows that from the store alone, so
its first pass costs the same."""

from __future__ import annotations

from pathlib import Path

from vessel.addons.installed import addon_definitions
from vessel.controller.controller import Controller
from vessel.definitions.registry import build_registry
from vessel.store import Phase
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: NAME, namespace: NAME}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop/web:1", ports: [{port: 80, expose: true}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
    - name: jobs
      type: worker
      properties: {image: "shop/jobs:1"}
"""


def deliver(h: Harness, first: int, count: int) -> None:
    for i in range(first, first + count):
        assert h.up(APP.replace("NAME", f"app-{i}")).phase == Phase.RUNNING


def measured_pass(h: Harness) -> tuple[int, int, int]:
    """(statements, writes, applies) of one pass, which must find every application running."""
    statements, writes, applies = h.store.statements, h.store.writes, h.targets["mem"].counters.applies
    apps = h.controller.reconcile_all()
    assert {a.phase for a in apps} == {Phase.RUNNING}, [a.message for a in apps]
    mem = h.targets["mem"]
    return h.store.statements - statements, h.store.writes - writes, mem.counters.applies - applies


def test_a_pass_over_more_applications_asks_the_store_no_more(tmp_path: Path) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        deliver(h, 0, 2)
        h.controller.reconcile_all()
        over_two = measured_pass(h)
        deliver(h, 2, 6)
        h.controller.reconcile_all()
        over_eight = measured_pass(h)
        assert over_two == over_eight
        assert over_eight[0] <= 4 and over_eight[1:] == (0, 0)  # a few reads; no write, no apply
    finally:
        h.store.close()


def test_the_first_pass_of_a_restarted_controller_costs_what_a_warm_one_does(tmp_path: Path) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        deliver(h, 0, 3)
        h.controller.reconcile_all()
        warm = measured_pass(h)
        h.restart()  # a new process: nothing of the last one's memory
        assert measured_pass(h) == warm
        assert warm[1:] == (0, 0)
    finally:
        h.store.close()


def test_a_server_whose_definitions_come_from_the_store_asks_one_question_more(tmp_path: Path) -> None:
    """A process that built its definitions from the store (a server does at start) also reads the enabled
    addons' generation once per pass, to build them again when another process changed the addons: one
    primary-key read, whatever the number of applications (bound 4 + 1)."""
    h = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        deliver(h, 0, 2)
        h.controller = Controller(
            h.store,
            clock=h.clock,
            registry=lambda: build_registry(plugins=False, installed=addon_definitions(h.store)),
            owner="test",
        )
        h.controller.live_registry  # noqa: B018 - built, as `vessel server` builds it at start
        h.controller.reconcile_all()
        over_two = measured_pass(h)
        deliver(h, 2, 6)
        h.controller.reconcile_all()
        assert measured_pass(h) == over_two
        assert over_two[0] <= 5 and over_two[1:] == (0, 0)
    finally:
        h.store.close()
