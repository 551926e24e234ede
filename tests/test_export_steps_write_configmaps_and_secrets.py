"""`export2config`, `export2secret` and `export-data` write the ConfigMap or Secret KubeVela's CUE
builds, to the target they name (or every target a topology policy picks), recorded in the application's
inventory (deleting the application removes them); a Secret's values never show in what Vessel records
about the step; an unknown target or a name Kubernetes would refuse fails the step naming it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from step_apps import application, step, steps
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.store.records import StepPhase
from vessel.testing.engine import Harness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}", "mem", "eu:region=eu", "us:region=us")
    yield harness
    harness.store.close()


def test_export2config_writes_the_configmap_and_deleting_the_app_removes_it(h: Harness) -> None:
    export = step("export", "export2config", {"configName": "settings", "data": {"color": "blue"}})
    app = h.up(application([export], namespace="shop"))
    assert app.phase == Phase.RUNNING, app.message
    key = ResourceKey("v1", "ConfigMap", "shop", "settings")
    assert h.targets["mem"].objects[key]["data"] == {"color": "blue"}
    entries = {(e.key, e.component) for e in h.store.inventory(app.id)}
    assert (key, "step:export") in entries
    while not h.controller.delete(h.record("wf", "shop")):
        h.clock.advance(5)
    assert key not in h.targets["mem"].objects


def test_export2config_goes_to_the_target_named_in_cluster(h: Harness) -> None:
    export = step(
        "export", "export2config", {"configName": "c", "namespace": "ops", "data": {}, "cluster": "eu"}
    )
    assert h.up(application([export])).phase == Phase.RUNNING
    key = ResourceKey("v1", "ConfigMap", "ops", "c")
    assert key in h.targets["eu"].objects and key not in h.targets["mem"].objects


def test_export2secret_builds_a_docker_registry_secret_and_keeps_its_password_out_of_records(
    h: Harness,
) -> None:
    registry = {"username": "robot", "password": "hunter2-registry-pw", "server": "reg.example.com"}
    export = step(
        "secret",
        "export2secret",
        {"secretName": "pull", "kind": "docker-registry", "dockerRegistry": registry},
    )
    app = h.up(application([export]))
    assert app.phase == Phase.RUNNING, app.message
    secret = h.targets["mem"].objects[ResourceKey("v1", "Secret", "default", "pull")]
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    auths = json.loads(secret["stringData"][".dockerconfigjson"])["auths"]
    auth = base64.b64encode(b"robot:hunter2-registry-pw").decode()
    assert auths == {
        "reg.example.com": {"username": "robot", "password": "hunter2-registry-pw", "auth": auth}
    }
    recorded = [s.message for s in steps(h).values()] + [e.message for e in h.store.events(app.id)]
    assert not [m for m in recorded if "hunter2-registry-pw" in m]


def test_export2secret_generic_writes_string_data_with_the_given_type(h: Harness) -> None:
    export = step(
        "secret", "export2secret", {"secretName": "tok", "type": "Opaque", "data": {"token": "abc"}}
    )
    assert h.up(application([export])).phase == Phase.RUNNING
    secret = h.targets["mem"].objects[ResourceKey("v1", "Secret", "default", "tok")]
    assert (secret["type"], secret["stringData"]) == ("Opaque", {"token": "abc"})


def test_export_data_writes_to_every_target_of_its_topology_with_app_name_by_default(h: Harness) -> None:
    policies = [{"name": "regions", "type": "topology", "properties": {"clusters": ["eu", "us"]}}]
    export = step("export", "export-data", {"topology": "regions", "kind": "Secret", "data": {"k": "v"}})
    app = h.up(application([export], policies=policies, components=[]))
    assert app.phase == Phase.RUNNING, app.message
    key = ResourceKey("v1", "Secret", "default", "wf")
    assert h.targets["eu"].objects[key]["stringData"] == {"k": "v"}
    assert key in h.targets["us"].objects and key not in h.targets["mem"].objects


def test_export_data_without_topology_writes_to_the_default_target(h: Harness) -> None:
    export = step("export", "export-data", {"name": "out", "data": {"k": "v"}})
    assert h.up(application([export], components=[])).phase == Phase.RUNNING
    assert h.targets["mem"].objects[ResourceKey("v1", "ConfigMap", "default", "out")]["data"] == {"k": "v"}


def test_an_unknown_target_fails_the_export_naming_it(h: Harness) -> None:
    export = step("export", "export2config", {"configName": "c", "data": {}, "cluster": "mars"})
    app = h.up(application([export]))
    failed = steps(h)["export"]
    assert (app.phase, failed.phase) == (Phase.FAILED, StepPhase.FAILED)
    assert "target 'mars' is not registered" in failed.message and failed.attempts == 1


def test_a_name_kubernetes_would_refuse_fails_the_export_naming_the_field(h: Harness) -> None:
    export = step("export", "export2config", {"configName": "Bad_Name", "data": {}})
    app = h.up(application([export]))
    failed = steps(h)["export"]
    assert app.phase == Phase.FAILED and "export2config: metadata.name" in failed.message
    assert failed.attempts == 1  # terminal: not retried


def test_export_data_naming_no_topology_policy_fails_naming_the_ones_there(h: Harness) -> None:
    policies = [{"name": "regions", "type": "topology", "properties": {"clusters": ["eu"]}}]
    export = step("export", "export-data", {"topology": "region", "data": {"k": "v"}})
    app = h.up(application([export], policies=policies, components=[]))
    failed = steps(h)["export"]
    assert app.phase == Phase.FAILED
    assert "topology 'region' names no topology policy of the application (topology policies: regions)" in (
        failed.message
    )
