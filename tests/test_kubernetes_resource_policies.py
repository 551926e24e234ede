"""Resource policies against a Kubernetes API server (fake, over real HTTP), where other field managers —
an autoscaler, a person with kubectl — write the same objects: the steady-state loop corrects drift in
the fields Vessel renders and leaves apply-once paths and other managers' fields alone; existing objects
are adopted only with take-over, and read-only objects are never written."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.store import Phase
from vessel.store.records import EntryState, RunPhase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def app(policies: str = "", config: bool = False) -> str:
    extra = (
        """
    - name: settings
      type: k8s-objects
      properties:
        objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {owner: shop}}]"""
        if config
        else ""
    )
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: api
      type: webservice
      properties: {{image: "shop/api:1"}}
      traits: [{{type: scaler, properties: {{replicas: 2}}}}]{extra}
  policies:
    - {{name: here, type: topology, properties: {{clusters: [k8s]}}}}
{policies}"""


APPLY_ONCE = """\
    - name: hpa-owns-replicas
      type: apply-once
      properties:
        enable: true
        rules: [{selector: {resourceTypes: [Deployment]}, strategy: {path: [spec.replicas]}}]"""


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def h(kube: FakeKubeServer, tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    harness.add_target("k8s", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
    yield harness
    harness.store.close()


def request(kube: FakeKubeServer, method: str, path: str, body: Any, manager: str, ctype: str) -> Any:
    req = urllib.request.Request(
        f"{kube.url}{path}?fieldManager={manager}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": ctype},
    )
    with urllib.request.urlopen(req, timeout=5) as response:
        return json.loads(response.read())


def merge_patch(kube: FakeKubeServer, path: str, body: Any, manager: str) -> Any:
    return request(kube, "PATCH", path, body, manager, "application/merge-patch+json")


def image(obj: dict[str, Any]) -> str:
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def writes(kube: FakeKubeServer, path: str) -> list[str]:
    return [
        m for m, p in kube.requests if p.split("?")[0] == path and m in ("PATCH", "PUT", "POST", "DELETE")
    ]


def test_drift_in_rendered_fields_is_corrected_and_other_managers_fields_stay(
    h: Harness, kube: FakeKubeServer
) -> None:
    record = h.up(app())
    assert record.phase == Phase.RUNNING, record.message
    patch = {
        "metadata": {"annotations": {"team": "payments"}},
        "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "hotfix:9"}]}}},
    }
    merge_patch(kube, f"{DEPLOYMENTS}/api", patch, "kubectl-edit")
    assert image(kube.get("deployments", "default", "api")) == "hotfix:9"

    record = h.controller.reconcile(record)
    live = kube.get("deployments", "default", "api")
    assert record.phase == Phase.RUNNING
    assert image(live) == "shop/api:1"
    assert live["metadata"]["annotations"]["team"] == "payments"  # not Vessel's field: left alone

    version = live["metadata"]["resourceVersion"]
    kube.requests.clear()
    for _ in range(3):
        h.controller.reconcile(record)
    assert kube.get("deployments", "default", "api")["metadata"]["resourceVersion"] == version
    assert writes(kube, f"{DEPLOYMENTS}/api") == [], "a steady state is read, not written"


def test_apply_once_paths_are_left_to_the_autoscaler(h: Harness, kube: FakeKubeServer) -> None:
    record = h.up(app(APPLY_ONCE))
    assert kube.get("deployments", "default", "api")["spec"]["replicas"] == 2
    merge_patch(kube, f"{DEPLOYMENTS}/api", {"spec": {"replicas": 5}}, "horizontal-pod-autoscaler")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "hotfix:9"}]}}}}
    merge_patch(kube, f"{DEPLOYMENTS}/api", patch, "kubectl-edit")

    record = h.controller.reconcile(record)
    live = kube.get("deployments", "default", "api")
    assert record.phase == Phase.RUNNING, record.message
    assert live["spec"]["replicas"] == 5 and image(live) == "shop/api:1"
    assert live["status"]["readyReplicas"] == 5  # and the health rules judge the live count

    version = live["metadata"]["resourceVersion"]
    h.controller.reconcile(record)
    assert kube.get("deployments", "default", "api")["metadata"]["resourceVersion"] == version


def test_an_existing_object_is_adopted_only_with_take_over(h: Harness, kube: FakeKubeServer) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"owner": "ops"},
    }
    request(kube, "POST", CONFIGMAPS, body, "kubectl-create", "application/json")

    record = h.up(app(config=True))
    run = h.store.latest_run(record.id)
    assert run is not None and run.phase == RunPhase.FAILED
    assert "default/settings on target 'k8s' already exists" in run.message and "take-over" in run.message
    assert kube.get("configmaps", "default", "settings")["data"] == {"owner": "ops"}
    assert writes(kube, f"{CONFIGMAPS}/settings") == []

    take_over = (
        "    - {name: adopt, type: take-over, properties: {rules: [{selector: {resourceNames: [settings]}}]}}"
    )
    record = h.up(app(take_over, config=True))
    assert record.phase == Phase.RUNNING, record.message
    live = kube.get("configmaps", "default", "settings")
    assert live["data"] == {"owner": "shop"}
    assert live["metadata"]["labels"]["app.oam.dev/name"] == "shop"
    assert "vessel" in {e["manager"] for e in live["metadata"]["managedFields"]}


def test_read_only_objects_are_read_never_written_nor_deleted(h: Harness, kube: FakeKubeServer) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"owner": "ops"},
    }
    request(kube, "POST", CONFIGMAPS, body, "kubectl-create", "application/json")
    read_only = (
        "    - {name: ro, type: read-only, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}}"
    )

    record = h.up(app(read_only, config=True))
    assert record.phase == Phase.RUNNING, record.message
    states = {e.key.name: e.state for e in h.store.inventory(record.id)}
    assert states == {"api": EntryState.APPLIED, "settings": EntryState.READING}
    h.controller.reconcile(record)
    assert h.controller.delete(h.record("shop"))
    assert kube.get("configmaps", "default", "settings")["data"] == {"owner": "ops"}
    assert writes(kube, f"{CONFIGMAPS}/settings") == []
    with pytest.raises(Exception, match="not found"):
        kube.get("deployments", "default", "api")
