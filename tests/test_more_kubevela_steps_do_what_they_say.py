"""KubeVela's `export-service`, `apply-deployment` and `generate-jdbc-connection` do what KubeVela's do:
a Service with Endpoints on every target of a topology; a Deployment named after the step, succeeding
once it is ready on a cluster (FakeKubeServer); a JDBC URL and credentials read from a database's
Secret, the password never shown in a message, a Secret without a key failing at once naming it. The
objects they write are valid Kubernetes (1.31 OpenAPI, strict)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from step_apps import application, run_of, step, steps
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer
from vessel.workflow.steps.apply_deployment import deployment
from vessel.workflow.steps.exports import exported_service

kubernetes_validate = pytest.importorskip("kubernetes_validate")


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}", "mem", "eu", "us")
    yield harness
    harness.store.close()


def test_export_service_writes_a_service_and_its_endpoints_to_each_topology_target(h: Harness) -> None:
    policies = [{"name": "regions", "type": "topology", "properties": {"clusters": ["eu", "us"]}}]
    props = {"name": "legacy-db", "ip": "10.0.0.3", "port": 5432, "targetPort": 15432, "topology": "regions"}
    app = h.up(application([step("export", "export-service", props)], policies=policies, components=[]))
    assert app.phase == Phase.RUNNING, app.message
    for region in ("eu", "us"):
        objects = h.targets[region].objects
        service = objects[ResourceKey("v1", "Service", "default", "legacy-db")]
        assert service["spec"] == {
            "type": "ClusterIP",
            "ports": [{"protocol": "TCP", "port": 5432, "targetPort": 15432}],
        }
        endpoints = objects[ResourceKey("v1", "Endpoints", "default", "legacy-db")]
        assert endpoints["subsets"] == [{"addresses": [{"ip": "10.0.0.3"}], "ports": [{"port": 15432}]}]
    assert ResourceKey("v1", "Service", "default", "legacy-db") not in h.targets["mem"].objects


def test_export_service_and_apply_deployment_objects_are_valid_kubernetes() -> None:
    params = {"ip": "10.0.0.3", "port": 80, "targetPort": 8080}
    for manifest in (
        *exported_service(params, "app", "shop"),
        deployment("app", "shop", "web", {"image": "nginx", "replicas": 2, "cmd": ["nginx"]}),
    ):
        kubernetes_validate.validate(manifest, "1.31", strict=True)


def test_apply_deployment_succeeds_once_ready_on_a_cluster(h: Harness, tmp_path: Path) -> None:
    with FakeKubeServer() as kube:
        h.add_target("k8s", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
        props = {"image": "nginx:1.25", "replicas": 2, "cmd": ["nginx"], "cluster": "k8s"}
        app = h.up(application([step("web", "apply-deployment", props)], components=[]))
        assert app.phase == Phase.RUNNING, app.message
        live = kube.get("deployments", "default", "web")
        assert live["spec"]["selector"] == {"matchLabels": {"workflow.oam.dev/step-name": "wf-web"}}
        (container,) = live["spec"]["template"]["spec"]["containers"]
        assert (container["name"], container["image"], container["command"]) == (
            "web",
            "nginx:1.25",
            ["nginx"],
        )
        assert steps(h)["web"].outputs["value"]["status"]["readyReplicas"] == 2


def test_apply_deployment_named_by_a_step_kubernetes_refuses_fails_naming_the_field(h: Harness) -> None:
    app = h.up(application([step("Web_1", "apply-deployment", {"image": "nginx"})], components=[]))
    assert app.phase == Phase.FAILED
    assert "apply-deployment: metadata.name" in steps(h)["Web_1"].message


def connection_secret(**data: str) -> dict[str, Any]:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-conn"}, "data": encoded}


DB = {
    "DB_HOST": "db.internal",
    "DB_PORT": "3306",
    "DB_NAME": "shop",
    "DB_USER": "app",
    "DB_PASSWORD": "pw-7f3a9c1e55",
}


def test_generate_jdbc_connection_reads_the_secret_and_keeps_the_password_out_of_messages(h: Harness) -> None:
    # written by the database's own tooling, not through Vessel: only the step itself meets its values
    h.targets["mem"].apply(
        {**connection_secret(**DB), "metadata": {"name": "db-conn", "namespace": "default"}}
    )
    workflow = [
        step(
            "jdbc",
            "generate-jdbc-connection",
            {"name": "db-conn"},
            outputs=[{"name": "password", "valueFrom": "env[2].value"}],
        ),
        step(
            "say",
            "print-message-in-status",
            {"message": "x"},
            inputs=[{"from": "password", "parameterKey": "message"}],
        ),
    ]
    app = h.up(application(workflow, components=[]))
    assert app.phase == Phase.RUNNING, app.message
    assert steps(h)["jdbc"].outputs["env"] == [
        {"name": "url", "value": "jdbc://db.internal:3306/shop?characterEncoding=utf8&useSSL=false"},
        {"name": "username", "value": "app"},
        {"name": "password", "value": "pw-7f3a9c1e55"},
    ]
    assert run_of(h).values == {"password": "pw-7f3a9c1e55"}
    assert steps(h)["say"].message == "***"


def test_generate_jdbc_connection_fails_at_once_naming_the_keys_the_secret_lacks(h: Harness) -> None:
    partial = {k: v for k, v in DB.items() if k not in ("DB_PORT", "DB_PASSWORD")}
    workflow = [
        step("secret", "apply-object", {"value": connection_secret(**partial)}),
        step("jdbc", "generate-jdbc-connection", {"name": "db-conn"}),
    ]
    app = h.up(application(workflow, components=[]))
    jdbc = steps(h)["jdbc"]
    assert (app.phase, jdbc.attempts) == (Phase.FAILED, 1)
    assert jdbc.message == "generate-jdbc-connection: Secret.v1 default/db-conn has no DB_PORT, DB_PASSWORD"


def test_generate_jdbc_connection_gives_up_on_a_secret_that_never_comes(h: Harness) -> None:
    started = h.clock.now()
    app = h.up(application([step("jdbc", "generate-jdbc-connection", {"name": "nope"})], components=[]))
    jdbc = steps(h)["jdbc"]
    assert app.phase == Phase.FAILED and h.clock.now() - started < 600
    assert jdbc.message == (
        "gave up after 10 attempts: generate-jdbc-connection: "
        "Secret.v1 default/nope does not exist (yet) on target 'mem'"
    )
