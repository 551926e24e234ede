"""Skipping objects known to be up to date never hides a change: the skip is keyed on each object's live
version, which moves with any change on the target — an edit, a deletion, a new status — so such an
object takes the full pass again and is corrected (or judged) at once, by a running controller and by a
restarted one alike."""

from __future__ import annotations

from collections.abc import Iterator

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
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
"""
API = ResourceKey("apps/v1", "Deployment", "default", "api")
SERVICE = ResourceKey("v1", "Service", "default", "api")


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def settled(h: Harness) -> AppRecord:
    """The application delivered, judged once, and then skipped by a pass that applies nothing."""
    app = h.up(APP)
    assert app.phase == Phase.RUNNING
    h.controller.reconcile_all()
    applies = h.targets["mem"].counters.applies
    (app,) = h.controller.reconcile_all()
    assert h.targets["mem"].counters.applies == applies, "the pass skipped every object"
    return app


def reasons(h: Harness, app: AppRecord) -> list[str]:
    return [e.reason for e in h.store.events(app.id)]


@pytest.mark.parametrize("restarted", [False, True], ids=["running", "restarted"])
def test_an_edited_object_is_corrected(h: Harness, restarted: bool) -> None:
    app = settled(h)
    if restarted:
        h.restart()
    h.targets["mem"].objects[API]["spec"]["replicas"] = 9  # someone scaled it by hand
    (app,) = h.controller.reconcile_all()
    assert app.phase == Phase.RUNNING
    assert h.targets["mem"].objects[API]["spec"]["replicas"] == 2
    assert reasons(h, app)[-1] == "DriftCorrected"


def test_a_deleted_object_is_created_again(h: Harness) -> None:
    settled(h)
    del h.targets["mem"].objects[SERVICE]
    (app,) = h.controller.reconcile_all()
    assert app.phase == Phase.RUNNING and SERVICE in h.targets["mem"].objects


def test_a_changed_status_is_judged_again(h: Harness) -> None:
    settled(h)
    h.targets["mem"].unhealthy.add(API)
    (app,) = h.controller.reconcile_all()
    assert app.phase == Phase.UNHEALTHY and "api" in app.message
    h.targets["mem"].unhealthy.discard(API)
    (app,) = h.controller.reconcile_all()
    assert app.phase == Phase.RUNNING
