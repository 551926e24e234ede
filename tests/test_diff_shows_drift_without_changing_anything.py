"""`vessel diff` shows, per resource, how the live object differs from what the steady-state loop keeps it
at — only the fields Vessel sets, policies honoured — and changes nothing: no write reaches a target
(the fake API server records every request) and the store stays byte for byte the same."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli
from vessel.controller.diff import DiffState, ResourceDiff, diff_app, unified_diff
from vessel.model.resource_key import ResourceKey
from vessel.store import EntryState, Phase
from vessel.targets.applied import project
from vessel.testing.engine import Harness
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
    - {name: where, type: topology, properties: {clusters: [eu-1]}}
"""
DEPLOYMENT = "/apis/apps/v1/namespaces/shop/deployments/api"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def kube(home: Path) -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        add_target("eu-1", server, home)
        yield server


def add_target(name: str, server: FakeKubeServer, home: Path) -> None:
    config = server.kubeconfig(home / f"{name}.kubeconfig")
    added = vessel("target", "add", name, "--type", "kubernetes", "--kubeconfig", str(config))
    assert added.exit_code == 0, added.output


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


def up(home: Path, text: str = APP) -> None:
    (home / "app.yaml").write_text(text)
    result = vessel("up", "-f", str(home / "app.yaml"), "--timeout", "30s")
    assert result.exit_code == 0, result.output


def edit(kube: FakeKubeServer, replicas: int = 5, image: str = "shop/api:hotfix") -> None:
    """Someone else (another field manager) changes the Deployment, straight through the API server."""
    containers = [{"name": "api", "image": image}]
    patch = {
        "metadata": {"labels": {"team": "payments"}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}},
    }
    request = urllib.request.Request(
        f"{kube.url}{DEPLOYMENT}?fieldManager=kubectl-edit",
        data=json.dumps(patch).encode(),
        method="PATCH",
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 200


def changed_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def diff_json(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = vessel("diff", "shop", "-n", "shop", "-o", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def dump(home: Path) -> list[str]:
    with sqlite3.connect(home / "home" / "vessel.db") as db:
        return list(db.iterdump())


# --- against a Kubernetes API server, through the CLI --------------------------------------------------


def test_drift_shows_exactly_the_fields_that_changed_and_changes_nothing(
    kube: FakeKubeServer, home: Path
) -> None:
    up(home)
    result = vessel("diff", "shop", "-n", "shop")
    assert result.exit_code == 0, result.output
    assert "eu-1/Deployment shop/api (api)  unchanged" in result.stdout
    assert "eu-1/Service shop/api (api)  unchanged" in result.stdout
    assert "---" not in result.stdout

    edit(kube)  # replicas and image changed, and a label added, by another field manager
    before, store_before, seen = kube.get("deployments", "shop", "api"), dump(home), len(kube.requests)
    result = vessel("diff", "shop", "-n", "shop")
    assert result.exit_code == 1, result.output
    assert "eu-1/Deployment shop/api (api)  drifted" in result.stdout
    assert "--- live\n+++ desired\n" in result.stdout
    assert changed_lines(result.stdout) == [
        "-  replicas: 5",
        "+  replicas: 2",
        "-      - image: shop/api:hotfix",
        "+      - image: shop/api:1",
    ]
    assert "team" not in result.stdout and "resourceVersion" not in result.stdout
    assert "eu-1/Service shop/api (api)  unchanged" in result.stdout

    code, found = diff_json()
    assert code == 1
    assert {method for method, _ in kube.requests[seen:]} == {"GET"}
    assert kube.get("deployments", "shop", "api") == before
    assert dump(home) == store_before

    assert [set(r) for r in found] == [
        {"target", "apiVersion", "kind", "namespace", "name", "component", "state", "message", "diff"}
    ] * 2
    deployment = next(r for r in found if r["kind"] == "Deployment")
    assert {k: v for k, v in deployment.items() if k not in ("diff", "message")} == {
        "target": "eu-1",
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "shop",
        "name": "api",
        "component": "api",
        "state": "drifted",
    }
    assert changed_lines(deployment["diff"]) == changed_lines(result.stdout)


def test_missing_objects_and_unreachable_targets_are_reported_per_resource(
    kube: FakeKubeServer, home: Path
) -> None:
    assert vessel("target", "add", "git", "--type", "directory", "--path", str(home / "git")).exit_code == 0
    up(home, APP.replace("clusters: [eu-1]", "clusters: [eu-1, git]"))
    [service_file] = (home / "git").glob("shop/service*/api.yaml")
    service_file.unlink()
    kube.unreachable = True
    code, found = diff_json()
    assert code == 2  # trouble wins over "something differs"
    states = {(r["target"], r["kind"]): r["state"] for r in found}
    assert states == {
        ("eu-1", "Deployment"): "unreachable",
        ("eu-1", "Service"): "unreachable",
        ("git", "Deployment"): "unchanged",
        ("git", "Service"): "missing",
    }
    assert all("eu-1" in r["message"] for r in found if r["state"] == "unreachable")
    service = next(r for r in found if r["state"] == "missing")
    assert "+kind: Service" in service["diff"] and service["message"] == "would be created"
    assert not service_file.exists()

    kube.unreachable = False
    assert diff_json()[0] == 1  # only the missing file differs now


def test_an_unknown_application_is_an_error(home: Path) -> None:
    result = vessel("diff", "nope")
    assert result.exit_code == 2
    assert "nope" in result.output


# --- policies, on memory targets ----------------------------------------------------------------------

CONFIG = ResourceKey("v1", "ConfigMap", "default", "settings")


def config_app(name: str, policy: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - name: {name}-config
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings}}, data: {{owner: {name}}}}}]
  policies: [{policy}]
"""


READ_ONLY = "{name: ro, type: read-only, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}}"
SHARED = (
    "{name: share, type: shared-resource, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}}"
)
ONCE = "{name: once, type: apply-once, properties: {enable: true}}"
APPLY_ONCE_REPLICAS = """\
    - name: hpa-owns-replicas
      type: apply-once
      properties:
        enable: true
        rules: [{selector: {resourceTypes: [Deployment]}, strategy: {path: [spec.replicas]}}]
"""
WEB = (
    """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
      traits: [{type: scaler, properties: {replicas: 2}}]
  policies:
"""
    + APPLY_ONCE_REPLICAS
)
API = ResourceKey("apps/v1", "Deployment", "default", "api")


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


def diff_of(h: Harness, name: str) -> list[ResourceDiff]:
    """The diff, checked to have written nothing anywhere."""
    mem, writes = h.targets["mem"], h.store.writes
    applies, deletes = mem.counters.applies, mem.counters.deletes
    found = diff_app(h.controller, h.record(name))
    assert (h.store.writes, mem.counters.applies, mem.counters.deletes) == (writes, applies, deletes)
    return found


def test_read_only_objects_are_reported_not_compared(h: Harness) -> None:
    mem = h.targets["mem"]
    mem.objects[CONFIG] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    assert h.up(config_app("reader", READ_ONLY)).phase == Phase.RUNNING
    [found] = diff_of(h, "reader")
    assert (found.state, found.diff, found.differs) == (DiffState.READ_ONLY, "", False)
    del mem.objects[CONFIG]
    [found] = diff_of(h, "reader")
    assert found.state == DiffState.READ_ONLY and found.message.startswith("missing")
    assert not found.differs


def test_shared_objects_another_application_writes_are_left_alone(h: Harness) -> None:
    assert h.up(config_app("first", SHARED)).phase == Phase.RUNNING
    assert h.up(config_app("second", SHARED)).phase == Phase.RUNNING
    [found] = diff_of(h, "second")
    assert (found.state, found.diff) == (DiffState.SHARED, "")
    assert h.controller.delete(h.record("first"))
    [found] = diff_of(h, "second")  # the last holder would take it over and write its own data
    assert found.state == DiffState.DRIFTED and "takes it over" in found.message
    assert {"-  owner: first", "+  owner: second"} <= set(changed_lines(found.diff))
    assert [e.state for e in h.store.inventory(h.record("second").id)] == [EntryState.SHARING]


def test_apply_once_for_the_whole_application_shows_drift_but_keeps_it(h: Harness) -> None:
    assert h.up(config_app("once", ONCE)).phase == Phase.RUNNING
    h.targets["mem"].objects[CONFIG]["data"] = {"owner": "a person"}
    [found] = diff_of(h, "once")
    assert found.state == DiffState.APPLY_ONCE and found.message == "drift kept"
    assert changed_lines(found.diff) == ["-  owner: a person", "+  owner: once"]
    assert not found.differs


def test_apply_once_paths_keep_their_live_values_so_they_are_not_drift(h: Harness) -> None:
    assert h.up(WEB).phase == Phase.RUNNING
    live = h.targets["mem"].objects[API]
    live["spec"]["replicas"] = 7  # an autoscaler scaled it
    [found] = diff_of(h, "web")
    assert (found.state, found.diff) == (DiffState.UNCHANGED, "")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "shop/api:hotfix"
    [found] = diff_of(h, "web")
    assert found.state == DiffState.DRIFTED and found.differs
    assert changed_lines(found.diff) == ["-      - image: shop/api:hotfix", "+      - image: shop/api:1"]


# --- the live projection: server-side-apply equality ---------------------------------------------------


def test_fields_the_manifest_does_not_set_are_not_drift() -> None:
    desired = {"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "api"}}}}}
    live = {
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate"},
            "template": {"metadata": {"labels": {"app": "api", "injected": "yes"}}},
        },
        "status": {"readyReplicas": 2},
    }
    assert project(live, desired) == desired
    assert unified_diff(live, desired) == ""


def test_named_list_items_are_matched_by_name_and_others_by_position() -> None:
    desired = {
        "containers": [{"name": "api", "image": "a:1"}, {"name": "log", "image": "l:1"}],
        "args": ["--port", "80"],
    }
    live = {
        "containers": [
            {"name": "sidecar", "image": "mesh:1"},  # another manager's item: kept by an apply
            {"name": "log", "image": "l:1", "imagePullPolicy": "Always"},
            {"name": "api", "image": "a:2"},
        ],
        "args": ["--port", "80", "--debug"],
    }
    assert project(live, desired) == {
        "containers": [{"name": "api", "image": "a:2"}, {"name": "log", "image": "l:1"}],
        "args": ["--port", "80", "--debug"],
    }
    assert project({"args": ["80"]}, {"args": ["--port", "80"]}) == {"args": ["80"]}
    assert project({"env": [{"name": "A"}]}, {"env": []}) == {"env": [{"name": "A"}]}


def test_a_named_item_gone_from_live_and_empty_values_the_server_drops() -> None:
    desired = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "resources": {}}
    live = {"env": [{"name": "A", "value": "1"}]}
    assert project(live, desired) == {"env": [{"name": "A", "value": "1"}], "resources": {}}
    assert changed_lines(unified_diff(live, desired)) == ["+- name: B", "+  value: '2'"]


def test_type_changes_and_a_missing_object_show_in_full() -> None:
    assert project({"spec": "oops"}, {"spec": {"replicas": 1}}) == {"spec": "oops"}
    assert project({"ports": {"a": 1}}, {"ports": [1]}) == {"ports": {"a": 1}}
    text = unified_diff(None, {"kind": "Service"})
    assert changed_lines(text) == ["+kind: Service"]
