"""The built-in traits' status rules (`expose`, `gateway`, `pure-ingress`) judge the live objects they
rendered, on a Kubernetes API server: a LoadBalancer `expose` keeps its deploy waiting until the Service
has an address; `gateway` and `pure-ingress` report where they are reached, from the live Ingress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.controller.status import status_of
from vessel.store import Phase, RunPhase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop/web:1", ports: [{port: 80}]}
      traits: [{type: gateway, properties: {domain: web.example.com, http: {"/": 80}}}]
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 8443}]}
      traits: [{type: expose, properties: {ports: [{port: 8443}], type: LoadBalancer}}]
    - name: site
      type: webservice
      properties: {image: "shop/site:1", ports: [{port: 8080}]}
      traits: [{type: pure-ingress, properties: {domain: site.example.com, http: {"/": 8080}}}]
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""
ADDRESS = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}


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


def traits(h: Harness, app: Any) -> dict[str, dict[str, Any]]:
    return {s["component"]: s["traits"][0] for s in status_of(h.controller, app)["services"]}


def test_builtin_trait_rules_judge_the_live_service_and_ingresses(h: Harness, kube: FakeKubeServer) -> None:
    app = h.controller.drive(h.submit(APP), timeout=30)
    run = h.store.latest_run(app.id)
    assert run is not None and not run.finished
    assert h.store.steps(run.id)["deploy-there"].message == (
        "waiting for component api on target k8s to become healthy: trait expose: ExternalIP: Pending"
    )
    assert traits(h, app) == {
        "web": {"type": "gateway", "healthy": True, "message": "Visiting URL: web.example.com"},
        "api": {"type": "expose", "healthy": False, "message": "ExternalIP: Pending"},
        "site": {
            "type": "pure-ingress",
            "healthy": True,
            "message": "No load balancer address yet; reach it through the cluster "
            "(e.g. kubectl port-forward -n shop service/site)",
        },
    }

    kube.set_status("services", "shop", "api", ADDRESS)
    kube.set_status("ingresses", "shop", "web", ADDRESS)
    kube.set_status("ingresses", "shop", "site", ADDRESS)
    app = h.controller.drive(app, timeout=30)
    run = h.store.latest_run(app.id)
    assert run is not None and run.phase == RunPhase.SUCCEEDED and app.phase == Phase.RUNNING
    assert {name: t["message"] for name, t in traits(h, app).items()} == {
        "web": "Visiting URL: web.example.com, IP: 203.0.113.7",
        "api": "ExternalIP: 203.0.113.7",
        "site": "Visiting URL: site.example.com, IP: 203.0.113.7",
    }
