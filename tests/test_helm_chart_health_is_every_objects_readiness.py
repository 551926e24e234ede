"""A helmchart component is healthy when every one of its live objects is, judged as `helm install
--wait` judges them — not merely once its objects exist — and its status says which object is not."""

from __future__ import annotations

from typing import Any

import pytest

from vessel.helm.health import ChartHealth

READY_DEPLOYMENT = {
    "kind": "Deployment",
    "metadata": {"name": "web", "generation": 2},
    "spec": {"replicas": 2},
    "status": {"observedGeneration": 2, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
               "availableReplicas": 2},
}  # fmt: skip


def judge(*outputs: dict[str, Any]) -> tuple[bool, str]:
    named = {f"o{i}": o for i, o in enumerate(outputs)}
    status = ChartHealth("helmchart").evaluate({"context": {"output": READY_DEPLOYMENT, "outputs": named}})
    return status.healthy, status.message


def with_status(base: dict[str, Any], **status: Any) -> dict[str, Any]:
    return {**base, "status": {**base["status"], **status}}


def test_ready_objects_and_plain_objects_are_healthy() -> None:
    config = {"kind": "ConfigMap", "metadata": {"name": "c"}}
    assert judge(config) == (True, "2 objects ready")


@pytest.mark.parametrize(
    ("live", "said"),
    [
        (with_status(READY_DEPLOYMENT, readyReplicas=1), "Deployment web: Ready:1/2"),
        (
            with_status(READY_DEPLOYMENT, observedGeneration=1),
            "Deployment web: the new spec is not rolled out yet",
        ),
        (
            {
                "kind": "StatefulSet",
                "metadata": {"name": "db"},
                "spec": {"replicas": 3},
                "status": {"readyReplicas": 3, "currentRevision": "a", "updateRevision": "b"},
            },
            "StatefulSet db: Ready:3/3",
        ),
        (
            {
                "kind": "DaemonSet",
                "metadata": {"name": "agent"},
                "spec": {},
                "status": {"desiredNumberScheduled": 4, "numberReady": 3, "updatedNumberScheduled": 4},
            },
            "DaemonSet agent: Ready:3/4",
        ),
        (
            {
                "kind": "Job",
                "metadata": {"name": "migrate", "generation": 1},
                "spec": {},
                "status": {
                    "conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]
                },
            },
            "Job migrate: failed: BackoffLimitExceeded",
        ),
        (
            {"kind": "Job", "metadata": {"name": "migrate"}, "spec": {}, "status": {"active": 1}},
            "Job migrate: not complete",
        ),
        (
            {
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data"},
                "spec": {},
                "status": {"phase": "Pending"},
            },
            "PersistentVolumeClaim data: not bound (Pending)",
        ),
    ],
)
def test_an_object_that_is_not_ready_makes_the_component_unhealthy(live: dict[str, Any], said: str) -> None:
    assert judge(live) == (False, said)


def test_a_complete_job_is_healthy_though_it_reports_no_observed_generation() -> None:
    job = {"kind": "Job", "metadata": {"name": "migrate", "generation": 1}, "spec": {},
           "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}  # fmt: skip
    assert judge(job)[0]


def test_an_object_can_opt_out_of_the_health_check() -> None:
    stuck = with_status(READY_DEPLOYMENT, readyReplicas=0)
    stuck = {
        **stuck,
        "metadata": {**stuck["metadata"], "annotations": {"app.oam.dev/disable-health-check": "x"}},
    }
    assert judge(stuck)[0]
