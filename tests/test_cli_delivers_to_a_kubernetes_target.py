"""`vessel target add --type kubernetes` and `vessel up` against a real HTTP (fake) API server: the target
is listed with its server version, the kubeconfig's credentials are never stored, and delivery lands the
objects in the cluster."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
  policies:
    - {name: eu, type: topology, properties: {clusters: [eu-1]}}
"""
runner = CliRunner()


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeKubeServer, Path]]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as server:
        kubeconfig = tmp_path / "kubeconfig"
        server.kubeconfig(kubeconfig, namespace="default")
        yield server, kubeconfig


def test_target_add_list_and_up_deliver_to_the_cluster(
    cluster: tuple[FakeKubeServer, Path], tmp_path: Path
) -> None:
    server, kubeconfig = cluster
    added = runner.invoke(
        cli,
        [
            "target",
            "add",
            "eu-1",
            "--type",
            "kubernetes",
            "--kubeconfig",
            str(kubeconfig),
            "--label",
            "region=eu",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = {t["name"]: t for t in json.loads(runner.invoke(cli, ["target", "list", "-o", "json"]).stdout)}
    assert listed["eu-1"]["reachable"] and listed["eu-1"]["version"] == "v1.31.0"

    (tmp_path / "app.yaml").write_text(APP)
    result = runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s"])
    assert result.exit_code == 0, result.output
    deployment = server.get("deployments", "shop", "api")
    assert deployment is not None and deployment["spec"]["replicas"] == 2
    assert server.get("services", "shop", "api") is not None
    status = json.loads(runner.invoke(cli, ["status", "shop", "-n", "shop", "-o", "json"]).stdout)
    assert status["phase"] == "running"

    db = sqlite3.connect(tmp_path / "home" / "vessel.db")
    stored = db.execute("select config from targets where name = 'eu-1'").fetchone()[0]
    assert "token" not in stored.lower() and str(kubeconfig) in stored


def test_a_cluster_that_is_down_can_be_added_and_is_listed_as_unreachable(
    cluster: tuple[FakeKubeServer, Path], tmp_path: Path
) -> None:
    server, kubeconfig = cluster
    added = runner.invoke(
        cli, ["target", "add", "eu-1", "--type", "kubernetes", "--kubeconfig", str(kubeconfig)]
    )
    assert added.exit_code == 0 and "reachable, v1.31.0" in added.output
    server.unreachable = True
    down = runner.invoke(
        cli, ["target", "add", "eu-2", "--type", "kubernetes", "--kubeconfig", str(kubeconfig)]
    )
    assert down.exit_code == 0 and "not reachable now" in down.output and "fake-token" not in down.output

    listed = {t["name"]: t for t in json.loads(runner.invoke(cli, ["target", "list", "-o", "json"]).stdout)}
    assert not listed["eu-1"]["reachable"] and "unreachable" in listed["eu-1"]["message"]
    assert listed["local"]["reachable"]
    server.unreachable = False
    listed = {t["name"]: t for t in json.loads(runner.invoke(cli, ["target", "list", "-o", "json"]).stdout)}
    assert listed["eu-2"]["reachable"] and listed["eu-2"]["version"] == "v1.31.0"


def test_config_given_as_text_is_honoured_and_namespaces_are_not_created_when_told(
    cluster: tuple[FakeKubeServer, Path], tmp_path: Path
) -> None:
    server, kubeconfig = cluster
    args = ["target", "add", "eu-1", "--type", "kubernetes", "--kubeconfig", str(kubeconfig)]
    added = runner.invoke(cli, [*args, "--config", "createNamespaces=false", "--config", "timeout=2.5"])
    assert added.exit_code == 0, added.output
    db = sqlite3.connect(tmp_path / "home" / "vessel.db")
    stored = json.loads(db.execute("select config from targets where name = 'eu-1'").fetchone()[0])
    assert stored["createNamespaces"] == "false" and stored["timeout"] == "2.5"  # as written
    bad = runner.invoke(cli, ["target", "add", "eu-2", "--type", "kubernetes", "--config", "timeout=soon"])
    assert bad.exit_code == 1 and "config.timeout" in bad.output and "'soon'" in bad.output

    (tmp_path / "app.yaml").write_text(APP)
    result = runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s"])
    assert result.exit_code == 1
    assert 'namespaces "shop" not found' in result.output and "createNamespaces" in result.output
    assert not any(m == "POST" and p.startswith("/api/v1/namespaces") for m, p in server.requests)
