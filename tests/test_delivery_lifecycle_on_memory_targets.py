"""Delivering applications end to end on memory targets: revisions, health, pruning, steady state,
rollback, deletion — with a real store (SQLite file here; PostgreSQL in the store-parametrised suite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from vessel.controller.controller import Controller
from vessel.definitions import Registry, load_path
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase, RunPhase
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
      traits:
        - type: scaler
          properties: {replicas: 2}
    - name: worker
      type: worker
      properties: {image: "shop/worker:1"}
"""
API = ResourceKey("apps/v1", "Deployment", "default", "api")
SERVICE = ResourceKey("v1", "Service", "default", "api")
WORKER = ResourceKey("apps/v1", "Deployment", "default", "worker")


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def test_up_delivers_every_resource_and_reports_running(h: Harness) -> None:
    app = h.up(APP)
    assert app.phase == Phase.RUNNING
    objects = h.targets["mem"].objects
    assert set(objects) == {API, SERVICE, WORKER}
    assert objects[API]["spec"]["replicas"] == 2
    assert objects[API]["metadata"]["labels"]["app.oam.dev/appRevision"] == "shop-v1"
    assert {e.key for e in h.store.inventory(app.id)} == {API, SERVICE, WORKER}


def test_identical_resubmit_creates_no_revision(h: Harness) -> None:
    h.up(APP)
    again = h.controller.submit(h.app(APP), h.registry)
    assert again.revision is None and again.run_id is None
    assert [n for n, _, _ in h.store.revisions(again.app.id)] == [1]


def test_changed_spec_creates_the_next_revision(h: Harness) -> None:
    h.up(APP)
    app = h.up(APP.replace("replicas: 2", "replicas: 3"))
    assert (app.revision, app.latest_revision) == (2, 2)
    assert h.targets["mem"].objects[API]["spec"]["replicas"] == 3


def test_removed_component_is_pruned_after_the_workflow_succeeds(h: Harness) -> None:
    h.up(APP)
    without_worker = APP[: APP.index("    - name: worker")]
    app = h.up(without_worker)
    assert app.phase == Phase.RUNNING
    assert WORKER not in h.targets["mem"].objects
    assert {e.key for e in h.store.inventory(app.id)} == {API, SERVICE}


def test_nothing_is_pruned_while_the_new_revision_is_unhealthy(h: Harness) -> None:
    h.up(APP)
    h.targets["mem"].unhealthy.add(API)
    app = h.up(APP[: APP.index("    - name: worker")], timeout=30)
    assert app.phase == Phase.RUNNING_WORKFLOW
    assert WORKER in h.targets["mem"].objects
    run = h.store.latest_run(app.id)
    assert run is not None and "waiting for component api on target mem to become healthy" in run.message


def test_steady_state_writes_nothing_and_applies_no_change(h: Harness) -> None:
    app = h.up(APP)
    app = h.controller.reconcile(app)
    writes, changes = h.store.writes, h.targets["mem"].counters.changing_applies
    for _ in range(100):
        app = h.controller.reconcile(app)
    assert h.store.writes == writes
    assert h.targets["mem"].counters.changing_applies == changes


def test_drift_is_corrected_by_reconcile(h: Harness) -> None:
    app = h.up(APP)
    h.targets["mem"].objects[API]["spec"]["replicas"] = 9
    h.controller.reconcile(app)
    assert h.targets["mem"].objects[API]["spec"]["replicas"] == 2


def test_health_keeps_being_checked_after_the_workflow(h: Harness) -> None:
    app = h.up(APP)
    h.targets["mem"].unhealthy.add(WORKER)
    app = h.controller.reconcile(app)
    assert app.phase == Phase.UNHEALTHY and "worker" in app.message
    h.targets["mem"].unhealthy.clear()
    assert h.controller.reconcile(app).phase == Phase.RUNNING


def test_rollback_redelivers_exactly_what_the_revision_rendered(h: Harness, tmp_path: Path) -> None:
    app = h.up(APP)
    first = {k: dict(v) for k, v in h.targets["mem"].objects.items()}
    h.up(APP.replace("shop/api:1", "shop/api:2"))
    run_id = h.controller.rollback(h.record("shop"), 1)
    app = h.controller.drive(h.record("shop"))
    assert h.store.run(run_id).phase == RunPhase.SUCCEEDED
    for key, body in first.items():
        live = h.targets["mem"].objects[key]
        assert {k: v for k, v in live.items() if k != "metadata"} == {
            k: v for k, v in body.items() if k != "metadata"
        }
        assert live["metadata"]["labels"] == body["metadata"]["labels"]
    assert (app.revision, app.latest_revision) == (1, 2)


def test_delete_removes_everything_the_application_owns(h: Harness) -> None:
    app = h.up(APP)
    assert h.controller.delete(app) is True
    assert h.targets["mem"].objects == {}
    assert h.store.app("default", "shop") is None


def test_failed_delete_stays_in_the_inventory_and_is_retried(h: Harness) -> None:
    app = h.up(APP)
    h.targets["mem"].unavailable = True
    assert h.controller.delete(app) is False
    assert len(h.store.inventory(app.id)) == 3
    h.targets["mem"].unavailable = False
    h.clock.advance(1.0)  # the first retry is due after a second (backoff)
    assert h.controller.delete(h.store.app_by_id(app.id)) is True
    assert h.targets["mem"].objects == {}


SCALER_V2 = """\
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: scaler}
spec:
  appliesToWorkloads: [deployments.apps]
  schematic:
    jinja:
      parameters: {type: object, properties: {replicas: {type: integer, default: 1}}}
      templates:
        kubernetes: |
          patch:
            metadata: {annotations: {scaled-by: platform-v2}}
            spec: {replicas: {{ parameter.replicas * 10 }}}
"""


def _registry_with_new_scaler(h: Harness, tmp_path: Path) -> Registry:
    (tmp_path / "scaler.yaml").write_text(SCALER_V2)
    registry = Registry(h.registry.all())
    registry.extend(load_path(tmp_path / "scaler.yaml"))
    return registry


def test_changed_definition_creates_a_revision_even_for_the_same_spec(h: Harness, tmp_path: Path) -> None:
    h.up(APP)
    submitted = h.controller.submit(h.app(APP), _registry_with_new_scaler(h, tmp_path))
    assert submitted.revision == 2
    h.controller.drive(submitted.app)
    assert h.targets["mem"].objects[API]["spec"]["replicas"] == 20


def test_rollback_is_byte_identical_even_after_a_definition_changed(h: Harness, tmp_path: Path) -> None:
    app = h.up(APP)
    first = {e.key: json.dumps(e.manifest, sort_keys=True) for e in h.store.inventory(app.id)}
    app = h.controller.drive(h.controller.submit(h.app(APP), _registry_with_new_scaler(h, tmp_path)).app)
    assert h.targets["mem"].objects[API]["metadata"]["annotations"] == {"scaled-by": "platform-v2"}
    h.controller.rollback(app, 1)
    app = h.controller.drive(h.record("shop"))
    again = {e.key: json.dumps(e.manifest, sort_keys=True) for e in h.store.inventory(app.id)}
    assert again == first
    assert "annotations" not in h.targets["mem"].objects[API]["metadata"]


def test_a_revision_that_delivers_nothing_never_prunes_everything(h: Harness) -> None:
    h.up(APP)
    empty = APP[: APP.index("  components:")] + "  components: []\n"
    app = h.up(empty)
    assert set(h.targets["mem"].objects) == {API, SERVICE, WORKER}
    assert any(e.reason == "PruneRefused" for e in h.store.events(app.id))


def test_depends_on_app_waits_until_the_other_application_runs(h: Harness) -> None:
    waiting = APP.replace("name: shop", "name: frontend") + (
        "  workflow:\n    steps:\n"
        "      - {name: wait-db, type: depends-on-app, properties: {name: db, namespace: data}}\n"
        "      - {name: api, type: apply-component, properties: {component: api}}\n"
    )
    app = h.up(waiting, timeout=20)
    assert app.phase == Phase.RUNNING_WORKFLOW and "waiting for application data/db" in app.message
    h.up(APP.replace("metadata: {name: shop}", "metadata: {name: db, namespace: data}"))
    assert h.controller.drive(h.record("frontend"), timeout=60).phase == Phase.RUNNING


def test_a_process_watching_reports_the_outcome_another_process_reached(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `vessel up` of one application: the one that does not hold the run's lease watches. If the
    other finishes the run between this one's pass and its look at the run, this one must still report
    the outcome (running), not the phase its own pass saw ("still delivering")."""
    record = h.submit(APP)
    run = h.store.latest_run(record.id)
    assert run is not None
    other = Controller(h.store, clock=h.clock, registry=h.registry, owner="other")
    assert h.store.acquire_lease(run.id, "other", h.clock.now(), other.engine.lease_seconds)
    watch = h.controller.reconcile

    def watch_while_the_other_finishes(app: AppRecord) -> AppRecord:
        seen = watch(app)  # the lease is the other's: this pass only looks
        monkeypatch.setattr(h.controller, "reconcile", watch)
        assert other.drive(other.find(app.namespace, app.name)).phase == Phase.RUNNING
        return seen

    monkeypatch.setattr(h.controller, "reconcile", watch_while_the_other_finishes)
    assert h.controller.drive(record, timeout=60).phase == Phase.RUNNING
