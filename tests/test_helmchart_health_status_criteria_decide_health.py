"""A native-shape helmchart component with `healthStatus` is healthy only when every criterion holds — an
object of that kind (and name) among the component's objects with that condition type and status — and
says so as KubeVela does ("Deployed" / "Deploying"); without criteria, each object's readiness decides.
End to end on a fake API server: the application runs once the chart's Deployment reports Available, and
a criterion that never holds keeps the workflow waiting, saying which."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helm_charts import ChartRepository, chart_files, helm_harness, serving
from vessel.helm.health import ChartHealth
from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

CHART = {"source": "web", "repoURL": "https://charts.example.com"}


def deployment(name: str = "web", **conditions: str) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "generation": 1},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "readyReplicas": 1,
            "updatedReplicas": 1,
            "availableReplicas": 1,
            "conditions": [{"type": t, "status": s} for t, s in conditions.items()],
        },
    }


def judge(criteria: list[dict[str, Any]] | None, *objects: dict[str, Any]) -> tuple[bool, str]:
    parameter: dict[str, Any] = {"chart": CHART}
    if criteria is not None:
        parameter["healthStatus"] = criteria
    outputs = {f"o{i}": o for i, o in enumerate(objects[1:])}
    variables = {"parameter": parameter, "context": {"output": objects[0], "outputs": outputs}}
    status = ChartHealth("helmchart").evaluate(variables)
    return status.healthy, status.message


def available(kind: str = "Deployment", name: str | None = None, status: str | None = None) -> dict[str, Any]:
    resource = {"kind": kind, **({"name": name} if name else {})}
    return {
        "resource": resource,
        "condition": {"type": "Available", **({"status": status} if status else {})},
    }


def test_every_criterion_must_hold() -> None:
    config = {"kind": "ConfigMap", "metadata": {"name": "web-helm-release"}}
    assert judge([available(name="web")], deployment(Available="True"), config) == (True, "Deployed")
    assert judge([available(name="web")], deployment(Available="False"), config) == (
        False,
        "Deploying: Deployment web: condition Available is not True",
    )
    two = [available(name="web"), available(name="api")]
    assert judge(two, deployment(Available="True"), deployment("api", Available="True")) == (True, "Deployed")
    healthy, said = judge(two, deployment(Available="True"), deployment("api"))
    assert not healthy and said == "Deploying: Deployment api: condition Available is not True"


def test_a_criterion_without_a_name_takes_the_first_of_its_kind_and_may_want_false() -> None:
    assert judge([available(status="False")], deployment(Available="False")) == (True, "Deployed")
    assert (
        judge([available()], deployment(Available="False"), deployment("api", Available="True"))[0] is False
    )


def test_a_criterion_no_object_matches_is_unmet() -> None:
    assert judge([available(name="other")], deployment(Available="True")) == (
        False,
        "Deploying: no Deployment other among the chart's objects",
    )
    assert judge([available("StatefulSet")], deployment(Available="True"))[0] is False


def test_without_criteria_each_objects_readiness_decides() -> None:
    ready = deployment()
    assert judge(None, ready) == (True, "Deployed")  # no conditions needed without criteria
    behind = {**ready, "status": {**ready["status"], "readyReplicas": 0}}
    assert judge(None, behind) == (False, "Deploying: Deployment web: Ready:0/1")


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def repo() -> Iterator[ChartRepository]:
    repository = ChartRepository()
    repository.add(chart_files())
    with serving(repository) as served:
        yield served


@pytest.fixture
def h(kube: FakeKubeServer, tmp_path: Path) -> Iterator[Harness]:
    with helm_harness(kube, tmp_path) as harness:
        yield harness


def app(url: str, condition: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: web
      type: helmchart
      properties:
        chart: {{source: web, repoURL: "{url}", version: 0.1.0}}
        healthStatus:
          - resource: {{kind: Deployment, name: web}}
            condition: {condition}
  policies:
    - {{name: cluster, type: topology, properties: {{clusters: [k]}}}}
"""


def test_on_a_cluster_the_criteria_decide_when_the_application_runs(
    h: Harness, repo: ChartRepository, kube: FakeKubeServer
) -> None:
    running = h.up(app(repo.url, "{type: Available}"), timeout=60)
    assert running.phase == Phase.RUNNING, running.message
    assert kube.get("configmaps", "default", "web-helm-release")["data"]["releaseName"] == "web"

    waiting = h.up(app(repo.url, "{type: Available, status: 'False'}"), timeout=20)
    assert waiting.phase == Phase.RUNNING_WORKFLOW
    run = h.store.latest_run(waiting.id)
    assert run is not None
    assert "Deploying: Deployment web: condition Available is not False" in run.message, run.message
