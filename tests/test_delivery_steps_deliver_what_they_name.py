"""KubeVela's whole-application steps deliver what they say, and wait for it as `apply-component` does:
`apply-application` every component, `apply-remaining` all but its exceptions (an exception naming no
component fails the step), `deploy2runtime` every component to each named target or, without names, to
every registered target but `local`. `collect-service-endpoints` reports the delivered Services in
KubeVela's shape, feeds a later step through outputs, and waits — within the step's timeout — when
nothing matches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from step_apps import application, run_of, step, steps
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.store.records import StepPhase
from vessel.testing.engine import Harness


def web(name: str, port: int = 80) -> dict[str, Any]:
    return {
        "name": name,
        "type": "webservice",
        "properties": {"image": f"{name}:1", "ports": [{"port": port, "expose": True}]},
    }


def deployment(name: str, namespace: str = "default") -> ResourceKey:
    return ResourceKey("apps/v1", "Deployment", namespace, name)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}", "mem", "eu", "us")
    yield harness
    harness.store.close()


def test_apply_remaining_delivers_every_component_but_the_exceptions(h: Harness) -> None:
    workflow = [step("rest", "apply-remaining", {"exceptions": ["server1"]})]
    app = h.up(application(workflow, components=[web("server1"), web("server2")]))
    assert app.phase == Phase.RUNNING, app.message
    assert deployment("server2") in h.targets["mem"].objects
    assert deployment("server1") not in h.targets["mem"].objects


def test_apply_remaining_with_an_exception_that_names_no_component_fails_naming_them(h: Harness) -> None:
    workflow = [step("rest", "apply-remaining", {"exceptions": ["sever1"]})]
    app = h.up(application(workflow, components=[web("server1"), web("server2")]))
    failed = steps(h)["rest"]
    assert (app.phase, failed.phase) == (Phase.FAILED, StepPhase.FAILED)
    assert "exceptions name no component: sever1" in failed.message and "server1, server2" in failed.message
    assert not h.targets["mem"].objects  # nothing was delivered


def test_apply_application_delivers_every_component(h: Harness) -> None:
    app = h.up(application([step("all", "apply-application")], components=[web("a"), web("b")]))
    assert app.phase == Phase.RUNNING, app.message
    assert {deployment("a"), deployment("b")} <= set(h.targets["mem"].objects)


def test_deploy2runtime_without_clusters_delivers_to_every_target_but_local(h: Harness) -> None:
    app = h.up(application([step("rt", "deploy2runtime")], components=[web("a")]))
    assert app.phase == Phase.RUNNING, app.message
    assert all(deployment("a") in h.targets[t].objects for t in ("mem", "eu", "us"))


def test_deploy2runtime_delivers_only_to_the_named_clusters_and_refuses_unknown_ones(h: Harness) -> None:
    assert h.up(
        application([step("rt", "deploy2runtime", {"clusters": ["eu"]})], components=[web("a")])
    ).phase == (Phase.RUNNING)
    assert deployment("a") in h.targets["eu"].objects and deployment("a") not in h.targets["us"].objects
    app = h.up(
        application(
            [step("rt", "deploy2runtime", {"clusters": ["mars"]})], name="lost", components=[web("a")]
        )
    )
    assert app.phase == Phase.FAILED and "unknown target(s) mars" in steps(h, "lost")["rt"].message


def test_collected_endpoints_feed_a_later_step_in_kubevelas_shape(h: Harness) -> None:
    workflow = [
        step("deploy", "apply-application"),
        step(
            "collect",
            "collect-service-endpoints",
            outputs=[
                {"name": "host", "valueFrom": "value.endpoint.host"},
                {"name": "url", "valueFrom": "value.url"},
            ],
        ),
        step(
            "export", "export-data", {"name": "where"}, inputs=[{"from": "host", "parameterKey": "data.host"}]
        ),
    ]
    app = h.up(application(workflow, components=[web("api", 8080)]))
    assert app.phase == Phase.RUNNING, app.message
    assert run_of(h).values == {"host": "api.default", "url": "http://api.default:8080"}
    endpoints = steps(h)["collect"].outputs["outputs"]["endpoints"]
    assert endpoints[0]["endpoint"] == {
        "protocol": "TCP",
        "appProtocol": "http",
        "host": "api.default",
        "port": 8080,
        "portName": "port-8080",
        "path": "",
        "inner": True,
    }
    assert endpoints[0]["ref"]["kind"] == "Service" and endpoints[0]["component"] == "api"
    exported = h.targets["mem"].objects[ResourceKey("v1", "ConfigMap", "default", "where")]
    assert exported["data"] == {"host": "api.default"}


def test_collect_service_endpoints_filters_by_component_and_port(h: Harness) -> None:
    two_ports = web("b", 8080)
    two_ports["properties"]["ports"].append({"port": 9090, "expose": True})
    collect = step(
        "collect",
        "collect-service-endpoints",
        {"components": ["b"], "port": 9090},
        outputs=[{"name": "url", "valueFrom": "value.url"}],
    )
    app = h.up(
        application([step("deploy", "apply-application"), collect], components=[web("a", 9090), two_ports])
    )
    assert app.phase == Phase.RUNNING, app.message
    assert run_of(h).values == {"url": "http://b.default:9090"}


def test_collect_service_endpoints_waits_for_a_match_and_fails_at_its_timeout(h: Harness) -> None:
    collect = step("collect", "collect-service-endpoints", {"outer": True}, timeout="1m")
    app = h.up(application([step("deploy", "apply-application"), collect], components=[web("a")]))
    failed = steps(h)["collect"]
    assert (app.phase, failed.phase) == (Phase.FAILED, StepPhase.FAILED)
    assert failed.reason == "Timeout"
    assert (
        failed.message == "timed out after 1m: waiting for an endpoint of application default/wf (outer only)"
    )


def test_collecting_the_endpoints_of_a_missing_application_fails_naming_it(h: Harness) -> None:
    app = h.up(application([step("collect", "collect-service-endpoints", {"name": "nope"})]))
    assert app.phase == Phase.FAILED
    assert "application default/nope does not exist" in steps(h)["collect"].message
