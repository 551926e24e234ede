"""`vessel status` says where each component can be reached, from the live objects delivered with it: an
Ingress host first, then a load balancer's address, a node port, and the in-cluster DNS name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.controller.endpoints import endpoints
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
      traits: [{type: gateway, properties: {domain: shop.example.com, http: {"/": 80}}}]
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 8443, expose: true}], exposeType: LoadBalancer}
    - name: jobs
      type: worker
      properties: {image: "shop/jobs:1"}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""
runner = CliRunner()


@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeServer]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as server:
        config = server.kubeconfig(tmp_path / "kubeconfig")
        added = runner.invoke(
            cli, ["target", "add", "k8s", "--type", "kubernetes", "--kubeconfig", str(config)]
        )
        assert added.exit_code == 0, added.output
        (tmp_path / "app.yaml").write_text(APP)
        up = runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s"])
        assert up.exit_code == 0, up.output
        yield server


def services() -> dict[str, Any]:
    result = runner.invoke(cli, ["status", "shop", "-n", "shop", "-o", "json"])
    assert result.exit_code == 0, result.output
    return {s["component"]: s for s in json.loads(result.stdout)["services"]}


def test_status_lists_each_components_endpoints_best_first(kube: FakeKubeServer) -> None:
    found = services()
    assert found["web"]["endpoint"] == "http://shop.example.com/"
    assert found["web"]["endpoints"] == ["http://shop.example.com/", "web.shop.svc:80"]
    assert found["api"]["endpoints"] == ["api.shop.svc:8443"]  # no address assigned yet
    assert found["jobs"]["endpoint"] == "" and found["jobs"]["endpoints"] == []

    kube.set_status("services", "shop", "api", {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}})
    assert services()["api"]["endpoint"] == "https://203.0.113.7:8443"
    table = runner.invoke(cli, ["status", "shop", "-n", "shop"]).stdout
    assert "https://203.0.113.7:8443" in table and "http://shop.example.com/" in table


def test_endpoints_rank_ingress_then_load_balancer_then_node_port_then_cluster_dns() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "prod"},
        "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80, "nodePort": 31080}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"}]}},
    }
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "spec": {
            "tls": [{"hosts": ["secure.example.com"]}],
            "rules": [
                {"host": "secure.example.com", "http": {"paths": [{"path": "/api"}, {"path": "/ui"}]}},
                {"http": {"paths": [{"path": "/"}]}},  # no host, no address: nothing to show
            ],
        },
    }
    local = {
        "kind": "Service",
        "apiVersion": "local.vessel.dev/v1",
        "status": {"endpoint": "http://127.0.0.1:20001"},
    }
    assert endpoints([local, svc, ingress]) == [
        "http://127.0.0.1:20001",
        "https://secure.example.com/api",
        "https://secure.example.com/ui",
        "http://lb.example.net:80",
        "<node-ip>:31080",
        "web.prod.svc:80",
    ]
    assert endpoints([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}]) == []
