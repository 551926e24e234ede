"""A restarted controller sends nothing to a Kubernetes cluster where nothing changed: what it needs to
know that an object is up to date — the manifest applied, and the live version it was found up to date
at — is in the store, not in the memory of the process that applied it. Its first pass only reads. When
the cluster's own controllers moved an object on (a new status: a new resourceVersion), it reads and
compares the object, and still writes nothing, since the inventory says this very manifest was applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: NAME}
spec:
  components:
    - name: NAME-api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
    - name: NAME-jobs
      type: worker
      properties: {image: "shop/jobs:1"}
  policies:
    - {name: here, type: topology, properties: {clusters: [k8s]}}
"""
WRITES = ("PATCH", "PUT", "POST", "DELETE")


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def h(kube: FakeKubeServer, tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    harness.add_target("k8s", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
    for name in ("shop", "blog"):
        assert harness.up(APP.replace("NAME", name)).phase == Phase.RUNNING
    harness.controller.reconcile_all()
    yield harness
    harness.controller.close()
    harness.store.close()


def first_pass_after_restart(h: Harness, kube: FakeKubeServer) -> list[str]:
    """The methods of the requests the first pass of a new controller sent that write."""
    h.controller.close()
    h.restart()
    kube.requests.clear()
    apps = h.controller.reconcile_all()
    assert {a.phase for a in apps} == {Phase.RUNNING}, [a.message for a in apps]
    assert kube.requests, "it did look at the cluster"
    return [method for method, _ in kube.requests if method in WRITES]


def test_nothing_changed_nothing_is_sent(h: Harness, kube: FakeKubeServer) -> None:
    assert first_pass_after_restart(h, kube) == []


def test_objects_the_cluster_moved_on_are_compared_not_sent(h: Harness, kube: FakeKubeServer) -> None:
    for name in ("shop-api", "blog-api"):
        before = kube.get("deployments", "default", name)
        status = {**before["status"], "conditions": [{"type": "Progressing", "status": "True"}]}
        live = kube.set_status("deployments", "default", name, status)
        assert live["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
    assert first_pass_after_restart(h, kube) == []
