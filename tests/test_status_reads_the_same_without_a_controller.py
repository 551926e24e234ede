"""`vessel status` reads through a `StatusReader` — the store's records read without SQLAlchemy, its
revisions' definitions, the live objects — and shows exactly the document a `Controller` shows (the API,
`status --watch`): for an application running with traits and their outputs, one whose delivery failed,
one suspended half way, and one that tolerates unknown properties and so is warned about them."""

from __future__ import annotations

from pathlib import Path

from read_path_apps import SUSPENDED, up_failing
from vessel.controller.controller import Controller
from vessel.controller.status import status_of
from vessel.controller.status_reader import StatusReader
from vessel.model.resource_key import ResourceKey
from vessel.store.sqlite_reads import SqliteReads
from vessel.testing.engine import Harness

RUNNING = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits:
        - {type: scaler, properties: {replicas: 2}}
        - {type: gateway, properties: {domain: shop.example.com, http: {"/": 80}}}
"""
TOLERANT = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: brought
  annotations: {app.vessel.dev/unknown-properties: warn}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx, cpus: "0.5"}
"""


def test_status_documents_are_the_controllers(tmp_path: Path) -> None:
    path = tmp_path / "vessel.db"
    h = Harness.create(f"sqlite:///{path}")
    for text in (RUNNING, SUSPENDED, TOLERANT):
        h.up(text)
    up_failing(h)
    h.targets["mem"].unhealthy.add(ResourceKey("apps/v1", "Deployment", "default", "web"))
    # As another process sees it: the delivering controller still holds the revisions it parsed from YAML
    controller = Controller(h.store, clock=h.clock, registry=h.registry, owner="another-process")
    fast = SqliteReads.open(path)
    assert fast is not None
    reader = StatusReader(fast, lambda: h.registry, clock=h.clock)
    try:
        shown = {}
        for app in h.store.apps():
            for tree in (False, True):
                expected = status_of(controller, app, instances=tree)
                assert status_of(reader, reader.find(app.namespace, app.name), instances=tree) == expected
            shown[app.name] = expected
    finally:
        reader.close()
        fast.close()
    # what was compared: every kind of application, warnings, unhealthy and healthy services, traits
    assert {d["phase"] for d in shown.values()} >= {"running", "workflowFailed", "workflowSuspending"}
    assert any("cpus" in w for w in shown["brought"]["warnings"]) and shown["shop"]["warnings"] == []
    assert [t["type"] for t in shown["shop"]["services"][0]["traits"]] == ["scaler", "gateway"]
    assert {s["healthy"] for d in shown.values() for s in d["services"]} == {True, False}
