"""`vessel status --tree` and `vessel logs` against a Kubernetes target (the fake API server runs the
workload controllers): a component's pods are shown with their containers and restarts, a crashing pod
says why, and logs come from every pod (and container) of the component, tail included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.resource_key import ResourceKey
from vessel.targets.kubernetes import KubernetesTarget
from vessel.targets.kubernetes.pods import label_selector
from vessel.targets.protocol import TargetInfo
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
      traits:
        - {type: scaler, properties: {replicas: 2}}
        - type: sidecar
          properties: {name: proxy, image: "envoy:1"}
    - name: migrate
      type: task
      properties: {image: "shop/migrate:1"}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""
runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeServer]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as server:
        config = server.kubeconfig(tmp_path / "kubeconfig")
        assert (
            vessel("target", "add", "k8s", "--type", "kubernetes", "--kubeconfig", str(config)).exit_code == 0
        )
        (tmp_path / "app.yaml").write_text(APP)
        up = vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s")
        assert up.exit_code == 0, up.output
        yield server


def tree() -> dict[str, Any]:
    result = vessel("status", "shop", "-n", "shop", "--tree", "-o", "json")
    assert result.exit_code == 0, result.output
    return {r["component"]: r for r in json.loads(result.stdout)["resources"] if "instances" in r}


def test_status_tree_shows_each_components_pods_and_containers(kube: FakeKubeServer) -> None:
    resources = tree()
    pods = resources["api"]["instances"]
    assert len(pods) == 2 and all(p["ready"] and p["phase"] == "Running" for p in pods)
    assert sorted(c["name"] for c in pods[0]["containers"]) == ["api", "proxy"]
    assert {p["name"] for p in pods} == {p["metadata"]["name"] for p in kube.pods("shop")} - {
        p["name"] for p in resources["migrate"]["instances"]
    }
    assert [p["phase"] for p in resources["migrate"]["instances"]] == ["Succeeded"]

    text = vessel("status", "shop", "-n", "shop", "--tree").stdout
    assert f"{pods[0]['name']}  Running  ready  restarts 0" in text
    assert "Succeeded  completed" in text and text.count("target k8s") == 1


def test_a_crashing_pod_shows_its_restarts_and_why(kube: FakeKubeServer) -> None:
    name = tree()["api"]["instances"][0]["name"]
    crashing = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
        "containerStatuses": [
            {
                "name": "api",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            },
            {"name": "proxy", "ready": True, "restartCount": 0, "state": {"running": {}}},
        ],
    }
    kube.set_status("pods", "shop", name, crashing)

    pod = next(p for p in tree()["api"]["instances"] if p["name"] == name)
    assert not pod["ready"] and pod["restarts"] == 4
    assert pod["message"] == "waiting: CrashLoopBackOff"
    text = vessel("status", "shop", "-n", "shop", "--tree").stdout
    assert "not ready" in text and "api  waiting: CrashLoopBackOff  restarts 4" in text
    status = json.loads(vessel("status", "shop", "-n", "shop", "-o", "json").stdout)
    api = next(s for s in status["services"] if s["component"] == "api")
    assert not api["healthy"] and api["message"] == "Ready:1/2"  # the health rule, on the live object


def test_logs_come_from_every_pod_and_container_of_the_component(kube: FakeKubeServer) -> None:
    pods = sorted(p["metadata"]["name"] for p in kube.pods("shop", "app.oam.dev/component=api"))
    for i, pod in enumerate(pods):
        kube.write_log("shop", pod, "api", *(f"request {i}.{n}" for n in range(5)))
        kube.write_log("shop", pod, "proxy", f"proxy {i} up")
    migrate = kube.pods("shop", "app.oam.dev/component=migrate")[0]["metadata"]["name"]
    kube.write_log("shop", migrate, "migrate", "migrated 3 tables")

    out = vessel("logs", "shop", "-n", "shop", "-c", "api", "--tail", "2")
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert f"api | {pods[0]}/api | request 0.3" in lines and f"api | {pods[1]}/api | request 1.4" in lines
    assert f"api | {pods[1]}/proxy | proxy 1 up" in lines
    assert not any("request 0.2" in line for line in lines)  # only the last two of each

    everything = vessel("logs", "shop", "-n", "shop").stdout
    assert f"migrate | {migrate} | migrated 3 tables" in everything


def test_pods_are_found_by_the_workloads_selector(kube: FakeKubeServer, tmp_path: Path) -> None:
    target = KubernetesTarget(
        TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(tmp_path / "kubeconfig")})
    )
    try:
        assert target.instances(ResourceKey("apps/v1", "Deployment", "shop", "gone")) == []
        assert target.instances(ResourceKey("v1", "Service", "shop", "api")) == []
        assert len(target.instances(ResourceKey("apps/v1", "Deployment", "shop", "api"))) == 2
    finally:
        target.close()
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "canary", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }
    assert label_selector(selector) == "app=web,tier in (a,b),env notin (dev),canary,!legacy"
    assert label_selector({}) is None and label_selector(None) is None
