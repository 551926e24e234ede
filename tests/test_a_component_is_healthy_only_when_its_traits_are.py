"""A component is healthy only when its workload and every one of its traits are (KubeVela's rule): a
trait whose status rules say unhealthy keeps the deploy step waiting, naming the trait and its message,
until the live objects it rendered say otherwise; afterwards the steady-state loop and `vessel status`
judge it the same way and report each trait's health and message with its component."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from vessel.cli import status as status_cli
from vessel.controller.status import status_of
from vessel.definitions.loader import load_definition
from vessel.definitions.registry import build_registry
from vessel.model.resource_key import ResourceKey
from vessel.model.yaml_source import read_text
from vessel.store import Phase, RunPhase, StepPhase
from vessel.store import schema as t
from vessel.testing.engine import Harness

ROUTE = """\
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: route}
spec:
  status:
    healthPolicy: context.outputs.route.status.loadBalancer.ingress is defined
    customStatus: >-
      {%- set lb = context.outputs.route.status.loadBalancer -%}
      {%- if lb.ingress is defined -%}
        Visiting URL: {{ parameter.host }}, IP: {{ lb.ingress[0].ip }}
      {%- else -%}
        No loadBalancer found for {{ parameter.host }}
      {%- endif -%}
  schematic:
    jinja:
      parameters: {type: object, required: [host], properties: {host: {type: string}}}
      templates:
        kubernetes: |
          outputs:
            route:
              apiVersion: networking.k8s.io/v1
              kind: Ingress
              metadata:
                name: {{ context.name }}
              spec:
                rules:
                  - host: {{ parameter.host }}
"""
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop/web:1", ports: [{port: 80, expose: true}]}
      traits:
        - {type: scaler, properties: {replicas: 2}}
        - {type: route, properties: {host: shop.example.com}}
"""
INGRESS = ResourceKey("networking.k8s.io/v1", "Ingress", "default", "web")
WAITING = (
    "waiting for component web on target mem to become healthy: "
    "trait route: No loadBalancer found for shop.example.com"
)
ADDRESS = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    definitions = [load_definition(doc, "route.yaml") for doc in read_text(ROUTE, "route.yaml")]
    harness = Harness.create(
        f"sqlite:///{tmp_path / 'vessel.db'}", registry=build_registry(documents=definitions, plugins=False)
    )
    yield harness
    harness.store.close()


def waiting_message(h: Harness, app_id: int) -> str:
    run = h.store.latest_run(app_id)
    assert run is not None
    (step,) = h.store.steps(run.id).values()
    assert step.phase == StepPhase.RUNNING
    return step.message


def test_an_unhealthy_trait_keeps_the_deploy_step_waiting_and_names_the_trait(h: Harness) -> None:
    app = h.controller.drive(h.submit(APP), timeout=30)
    run = h.store.latest_run(app.id)
    assert run is not None and not run.finished  # the workload is ready; the trait is not
    assert waiting_message(h, app.id) == WAITING

    h.targets["mem"].reported[INGRESS] = ADDRESS
    app = h.controller.drive(app, timeout=30)
    run = h.store.latest_run(app.id)
    assert run is not None and run.phase == RunPhase.SUCCEEDED
    assert app.phase == Phase.RUNNING


def test_the_steady_state_and_status_report_each_traits_health_and_message(h: Harness) -> None:
    h.targets["mem"].reported[INGRESS] = ADDRESS
    app = h.up(APP)
    assert app.phase == Phase.RUNNING
    (web,) = status_of(h.controller, app)["services"]
    assert web["healthy"] is True
    assert web["traits"] == [
        {"type": "scaler", "healthy": True, "message": ""},
        {"type": "route", "healthy": True, "message": "Visiting URL: shop.example.com, IP: 203.0.113.7"},
    ]

    del h.targets["mem"].reported[INGRESS]  # the load balancer lost its address
    app = h.controller.reconcile(app)
    assert app.phase == Phase.UNHEALTHY
    assert app.message == "web on mem: trait route: No loadBalancer found for shop.example.com"
    (web,) = status_of(h.controller, app)["services"]
    assert web["healthy"] is False
    assert web["traits"][1] == {
        "type": "route",
        "healthy": False,
        "message": "No loadBalancer found for shop.example.com",
    }


def test_the_status_table_shows_an_unhealthy_trait_under_its_component(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = h.controller.drive(h.submit(APP), timeout=30)
    wide = Console(width=200)
    monkeypatch.setattr(status_cli, "out", wide)
    with wide.capture() as captured:
        status_cli.print_status(status_of(h.controller, app), tree=False)
    rows = [line.split() for line in captured.get().splitlines()]
    web = next(i for i, row in enumerate(rows) if row[:3] == ["web", "mem", "no"])
    assert rows[web + 1][:4] == ["trait", "route", "no", "No"]
    assert " ".join(rows[web + 1]).endswith("No loadBalancer found for shop.example.com")
    assert not any(row[:2] == ["trait", "scaler"] for row in rows)  # healthy traits: no row of their own


def test_workloads_recorded_without_a_status_basis_are_judged_from_their_revision(h: Harness) -> None:
    h.targets["mem"].reported[INGRESS] = ADDRESS
    app = h.up(APP)
    with h.store.tx() as c:  # as an older Vessel recorded them
        c.execute(sa.update(t.inventory).values(status_basis=None))
    assert h.controller.reconcile(app).phase == Phase.RUNNING  # the trait sees the Ingress it rendered
    del h.targets["mem"].reported[INGRESS]
    app = h.controller.reconcile(app)
    assert app.message == "web on mem: trait route: No loadBalancer found for shop.example.com"
