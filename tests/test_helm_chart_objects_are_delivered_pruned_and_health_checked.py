"""A helmchart component's objects are delivered like every component's: recorded in the inventory,
health-checked (the application is not running while the chart's Deployment is not ready), and pruned
when a new chart version or new values no longer render them — with no Helm release Secret anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helm_charts import ChartRepository, chart_files, serving
from vessel.definitions.registry import build_registry
from vessel.helm.definition import helmchart_definition
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.testing.engine import Harness

DEPLOYMENT = ResourceKey("apps/v1", "Deployment", "default", "web")
SETTINGS = ResourceKey("v1", "ConfigMap", "default", "web-settings")
OPTIONS = ResourceKey("v1", "ConfigMap", "default", "web-options")


def app(url: str, version: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: web
      type: helmchart
      properties: {{url: "{url}", chart: web, version: "{version}", values: {{replicaCount: 2}}}}
"""


@pytest.fixture
def repo() -> Iterator[ChartRepository]:
    repository = ChartRepository()
    repository.add(chart_files(version="0.1.0", config="settings"))
    repository.add(chart_files(version="0.2.0", config="options"))
    with serving(repository) as served:
        yield served


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    registry = build_registry(plugins=False)
    registry.add(helmchart_definition())
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}", registry=registry)
    yield harness
    harness.store.close()


def test_a_new_chart_version_prunes_the_objects_it_no_longer_renders(
    h: Harness, repo: ChartRepository
) -> None:
    first = h.up(app(repo.url, "0.1.0"), timeout=60)
    assert first.phase == Phase.RUNNING
    objects = h.targets["mem"].objects
    assert set(objects) == {DEPLOYMENT, SETTINGS}  # no release Secret: the chart's objects only
    assert objects[DEPLOYMENT]["spec"]["replicas"] == 2
    assert {e.key for e in h.store.inventory(first.id)} == {DEPLOYMENT, SETTINGS}

    second = h.up(app(repo.url, "^0.2"), timeout=60)
    assert second.phase == Phase.RUNNING
    assert set(h.targets["mem"].objects) == {DEPLOYMENT, OPTIONS}
    assert {e.key for e in h.store.inventory(second.id)} == {DEPLOYMENT, OPTIONS}
    assert h.targets["mem"].objects[OPTIONS]["data"] == {"chart": "web-0.2.0"}


def test_the_application_waits_for_the_charts_workload_to_be_healthy(
    h: Harness, repo: ChartRepository
) -> None:
    h.targets["mem"].unhealthy.add(DEPLOYMENT)
    waiting = h.up(app(repo.url, "0.1.0"), timeout=30)
    assert waiting.phase == Phase.RUNNING_WORKFLOW
    run = h.store.latest_run(waiting.id)
    assert run is not None and "waiting for component web on target mem to become healthy" in run.message
    h.targets["mem"].unhealthy.clear()
    assert h.controller.drive(waiting, timeout=60).phase == Phase.RUNNING
