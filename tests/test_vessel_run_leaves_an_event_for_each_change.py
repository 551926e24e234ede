"""What the steady-state loop (`vessel run`: Controller.reconcile per application) changes leaves an event —
one per change, none for a pass that changed nothing: drift it corrected, and objects it pruned once a
new revision's workflow succeeded. (Processes it restarts on the local target: see
test_local_target_delivers_hello_end_to_end.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.store.records import AppRecord
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
      traits:
        - type: scaler
          properties: {replicas: 2}
    - name: worker
      type: worker
      properties: {image: "shop/worker:1"}
"""
API = ResourceKey("apps/v1", "Deployment", "default", "api")
WORKER = ResourceKey("apps/v1", "Deployment", "default", "worker")


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


def events(h: Harness, app: AppRecord) -> list[tuple[str, str]]:
    return [(e.reason, e.message) for e in h.store.events(app.id)]


def test_corrected_drift_leaves_one_event_and_a_steady_pass_none(h: Harness) -> None:
    app = h.up(APP)
    assert app.phase == Phase.RUNNING
    h.targets["mem"].objects[API]["spec"]["replicas"] = 5  # someone scaled it by hand
    before = len(events(h, app))

    app = h.controller.reconcile(app)
    assert h.targets["mem"].objects[API]["spec"]["replicas"] == 2
    assert events(h, app)[before:] == [("DriftCorrected", f"api on mem: re-applied {API}, which had drifted")]
    for _ in range(3):
        app = h.controller.reconcile(app)
    assert len(events(h, app)) == before + 1  # nothing changed since: nothing to tell


def test_objects_pruned_by_the_loop_leave_an_event(h: Harness) -> None:
    app = h.up(APP)
    without_worker = APP[: APP.index("    - name: worker")]
    app = h.submit(without_worker)  # `vessel up --no-wait`: the loop takes it from here
    for _ in range(10):
        app = h.controller.reconcile(app)
        if app.phase == Phase.RUNNING:
            break
    assert app.phase == Phase.RUNNING and WORKER not in h.targets["mem"].objects
    assert ("Pruned", f"deleted {WORKER} from mem") in events(h, app)
