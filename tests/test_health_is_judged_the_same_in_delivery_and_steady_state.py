"""Health rules that read `parameter.*` and `context.outputs.*` give the same verdict in the deploy step
as in `vessel run` (the steady-state loop) and `vessel status`: all three judge with the parameters the
component was rendered with — after override policies — and its live outputs. Before, the steady state
passed no parameters and no outputs, so such a component flipped to unhealthy once delivered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vessel.controller.status import status_of
from vessel.definitions.loader import load_definition
from vessel.definitions.registry import build_registry
from vessel.model.yaml_source import read_text
from vessel.store import Phase, RunPhase, StepPhase
from vessel.testing.engine import Harness

GAUGE = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: gauge}
spec:
  workload: {definition: {apiVersion: apps/v1, kind: Deployment}}
  status:
    healthPolicy: context.outputs.config.data.level | int >= parameter.threshold
    customStatus: "level {{ context.outputs.config.data.level }} of {{ parameter.threshold }}"
  schematic:
    jinja:
      parameters:
        type: object
        properties:
          level: {type: string, default: "5"}
          threshold: {type: integer}
      templates:
        kubernetes: |
          output:
            apiVersion: apps/v1
            kind: Deployment
            spec:
              selector: {matchLabels: {app: gauge}}
              template:
                metadata: {labels: {app: gauge}}
                spec: {containers: [{name: gauge, image: gauge}]}
          outputs:
            config:
              apiVersion: v1
              kind: ConfigMap
              data:
                level: {{ parameter.level }}
"""
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: meter}
spec:
  components:
    - {name: gauge, type: gauge, properties: {threshold: THRESHOLD}}
  policies:
    - {name: lower, type: override, properties: {components: [{name: gauge, properties: {threshold: 2}}]}}
  workflow:
    steps:
      - {name: deploy, type: deploy, properties: {policies: [POLICIES]}}
"""


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    definitions = [load_definition(doc, "gauge.yaml") for doc in read_text(GAUGE, "gauge.yaml")]
    harness = Harness.create(
        f"sqlite:///{tmp_path / 'vessel.db'}", registry=build_registry(documents=definitions, plugins=False)
    )
    yield harness
    harness.store.close()


def app(threshold: int, policies: str = "") -> str:
    return APP.replace("THRESHOLD", str(threshold)).replace("POLICIES", policies)


def test_a_healthy_verdict_in_delivery_stays_healthy_in_run_and_status(h: Harness) -> None:
    # As written the threshold is 9 (level 5 would be unhealthy); the deploy step's override makes it 2.
    record = h.up(app(9, "lower"))
    run = h.store.latest_run(record.id)
    assert run is not None and run.phase == RunPhase.SUCCEEDED  # the deploy step judged it healthy
    for _ in range(2):
        record = h.controller.reconcile(record)
        assert (record.phase, record.message) == (Phase.RUNNING, "")
    (gauge,) = status_of(h.controller, record)["services"]
    assert (gauge["healthy"], gauge["message"]) == (True, "level 5 of 2")


def test_an_unhealthy_verdict_in_delivery_is_the_same_in_status(h: Harness) -> None:
    record = h.controller.drive(h.submit(app(9)), timeout=30)
    run = h.store.latest_run(record.id)
    assert run is not None
    step = h.store.steps(run.id)["deploy"]
    assert step.phase == StepPhase.RUNNING
    assert step.message == "waiting for component gauge on target mem to become healthy: level 5 of 9"
    (gauge,) = status_of(h.controller, record)["services"]
    assert (gauge["healthy"], gauge["message"]) == (False, "level 5 of 9")
