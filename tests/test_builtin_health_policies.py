"""Built-in definitions judge live objects as KubeVela's status.healthPolicy / customStatus do."""

from __future__ import annotations

from typing import Any

import pytest

from vessel.definitions import builtin_definitions
from vessel.render import evaluate_status

DEFS = {d.name: d for d in builtin_definitions()}


def _rollout(
    desired: int,
    status: dict[str, int] | None = None,
    generation: int = 2,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "web", "generation": generation}
    if annotations is not None:
        meta["annotations"] = annotations
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {"replicas": desired},
    }
    if status:
        body["status"] = status
    return body


ROLLED_OUT = {"readyReplicas": 3, "updatedReplicas": 3, "replicas": 3, "observedGeneration": 2}


@pytest.mark.parametrize("name", ["webservice", "worker", "statefulset"])
class TestReplicatedWorkloads:
    def test_rolled_out_is_healthy(self, name: str) -> None:
        status = evaluate_status(DEFS[name], _rollout(3, ROLLED_OUT))
        assert status.healthy
        assert status.message == "Ready:3/3"

    def test_observed_generation_ahead_is_healthy(self, name: str) -> None:
        assert evaluate_status(DEFS[name], _rollout(3, {**ROLLED_OUT, "observedGeneration": 3})).healthy

    @pytest.mark.parametrize(
        "change",
        [
            {"readyReplicas": 2},
            {"updatedReplicas": 1},
            {"replicas": 4},
            {"observedGeneration": 1},
        ],
        ids=["not-ready", "not-updated", "surge", "stale-generation"],
    )
    def test_incomplete_rollout_is_unhealthy(self, name: str, change: dict[str, int]) -> None:
        status = evaluate_status(DEFS[name], _rollout(3, {**ROLLED_OUT, **change}))
        assert not status.healthy
        assert status.message == f"Ready:{change.get('readyReplicas', 3)}/3"

    def test_no_status_yet_is_unhealthy_with_zero_ready(self, name: str) -> None:
        status = evaluate_status(DEFS[name], _rollout(2))
        assert not status.healthy
        assert status.message == "Ready:0/2"

    def test_missing_workload_is_unhealthy(self, name: str) -> None:
        assert not evaluate_status(DEFS[name], None).healthy


@pytest.mark.parametrize("name", ["webservice", "statefulset"])
def test_disable_health_check_annotation_forces_healthy(name: str) -> None:
    live = _rollout(2, annotations={"app.oam.dev/disable-health-check": "true"})
    status = evaluate_status(DEFS[name], live)
    assert status.healthy
    assert status.message == "Ready:0/2"


def test_worker_ignores_the_disable_health_check_annotation() -> None:
    live = _rollout(2, annotations={"app.oam.dev/disable-health-check": "true"})
    assert not evaluate_status(DEFS["worker"], live).healthy


def test_other_annotations_do_not_disable_the_check() -> None:
    assert not evaluate_status(DEFS["webservice"], _rollout(2, annotations={"team": "a"})).healthy


def _daemonset(**status: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"generation": 4},
        "spec": {},
    }
    if status:
        body["status"] = status
    return body


DAEMON_READY = {
    "desiredNumberScheduled": 5,
    "numberReady": 5,
    "updatedNumberScheduled": 5,
    "currentNumberScheduled": 5,
    "observedGeneration": 4,
}


def test_daemon_healthy_when_every_scheduled_pod_is_ready_and_updated() -> None:
    status = evaluate_status(DEFS["daemon"], _daemonset(**DAEMON_READY))
    assert status.healthy
    assert status.message == "Ready:5/5"


@pytest.mark.parametrize(
    "change",
    [
        {"numberReady": 4},
        {"updatedNumberScheduled": 3},
        {"currentNumberScheduled": 4},
        {"observedGeneration": 3},
    ],
)
def test_daemon_unhealthy_while_rolling(change: dict[str, int]) -> None:
    status = evaluate_status(DEFS["daemon"], _daemonset(**{**DAEMON_READY, **change}))
    assert not status.healthy
    assert status.message == f"Ready:{change.get('numberReady', 5)}/5"


def test_daemon_without_status_is_unhealthy() -> None:
    status = evaluate_status(DEFS["daemon"], _daemonset())
    assert not status.healthy
    assert status.message == "Ready:0/0"


def _job(parallelism: int, **status: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generation": 1},
        "spec": {"parallelism": parallelism, "completions": parallelism},
    }
    if status:
        body["status"] = status
    return body


def test_task_healthy_once_all_parallel_pods_succeeded() -> None:
    status = evaluate_status(DEFS["task"], _job(2, succeeded=2))
    assert status.healthy
    assert status.message == "Active/Failed/Succeeded:0/0/2"


def test_task_unhealthy_while_running_or_failing() -> None:
    running = evaluate_status(DEFS["task"], _job(2, active=1, succeeded=1))
    assert not running.healthy
    assert running.message == "Active/Failed/Succeeded:1/0/1"
    failing = evaluate_status(DEFS["task"], _job(1, failed=3))
    assert not failing.healthy
    assert failing.message == "Active/Failed/Succeeded:0/3/0"
    assert not evaluate_status(DEFS["task"], _job(1)).healthy


@pytest.mark.parametrize("name", ["cron-task", "k8s-objects"])
def test_definitions_without_status_rules_are_healthy_once_they_exist(name: str) -> None:
    assert DEFS[name].status is None
    assert evaluate_status(
        DEFS[name], {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    ).healthy
