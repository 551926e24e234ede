"""KubeVela's `replication` policy: a deploy step listing it delivers each selected component once per
key, its templates seeing the key as `context.replicaKey` and its objects labelled with it; copies that
would make one object, and a policy selecting nothing, are refused with the cause."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vessel.cli.dry_run import render_files
from vessel.definitions import build_registry
from vessel.definitions.loader import load_definition
from vessel.model import read_text
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.testing.engine import Harness

REGIONAL = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: regional}
spec:
  workload: {type: deployments.apps}
  status:
    healthPolicy: (context.output.status.readyReplicas | default(0)) >= 1
  schematic:
    jinja:
      parameters:
        type: object
        properties: {image: {type: string}}
      templates:
        kubernetes: |
          output:
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ context.name ~ ("-" ~ context.replicaKey if context.replicaKey is defined else "") }}
            spec:
              selector: {matchLabels: {app: {{ context.name }}}}
              template:
                metadata: {labels: {app: {{ context.name }}}}
                spec:
                  containers: [{name: main, image: {{ parameter.image }}}]
"""


def app(replicated_type: str = "regional", selector: str = "hello") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: rep}}
spec:
  components:
    - name: hello
      type: {replicated_type}
      properties: {{image: nginx}}
    - name: plain
      type: regional
      properties: {{image: nginx}}
  policies:
    - {{name: regions, type: replication, properties: {{keys: [beijing, hangzhou], selector: [{selector}]}}}}
  workflow:
    steps:
      - {{name: deploy, type: deploy, properties: {{policies: [regions]}}}}
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    regional = load_definition(read_text(REGIONAL, "regional.yaml")[0], "regional.yaml")
    registry = build_registry(documents=[regional], plugins=False)
    harness = Harness.create(store_url, registry=registry)
    yield harness
    harness.store.close()


def deployment(name: str) -> ResourceKey:
    return ResourceKey("apps/v1", "Deployment", "default", name)


def test_each_key_gets_its_own_copy_of_the_selected_component(h: Harness) -> None:
    record = h.up(app())
    assert record.phase == Phase.RUNNING
    mem = h.targets["mem"]
    for key in ("beijing", "hangzhou"):
        live = mem.get(deployment(f"hello-{key}"))
        assert live is not None
        labels = live["metadata"]["labels"]
        assert labels["app.oam.dev/replicaKey"] == key
        assert labels["app.oam.dev/component"] == "hello"
    plain = mem.get(deployment("plain"))
    assert plain is not None and "app.oam.dev/replicaKey" not in plain["metadata"]["labels"]
    assert mem.get(deployment("hello")) is None  # the component itself is replaced by its copies
    inventory = {e.key.name: e.component for e in h.store.inventory(record.id)}
    assert inventory == {
        "hello-beijing": "hello@beijing",
        "hello-hangzhou": "hello@hangzhou",
        "plain": "plain",
    }


def test_copies_that_make_the_same_object_are_refused(h: Harness) -> None:
    record = h.up(app(replicated_type="webservice"))  # webservice does not name objects by replicaKey
    run = h.store.latest_run(record.id)
    assert record.phase != Phase.RUNNING and run is not None
    assert "is rendered by both hello@beijing and hello@hangzhou" in run.message


def test_a_policy_selecting_no_component_is_refused(h: Harness) -> None:
    record = h.up(app(selector="nobody"))
    run = h.store.latest_run(record.id)
    assert run is not None
    assert "replication policy 'regions': no component selected to replicate" in run.message


def test_dry_run_shows_each_copy(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(app() + "---\n" + REGIONAL)
    shown = render_files([file]).manifests
    copies = {res.body["metadata"]["name"]: res.body["metadata"]["labels"] for _, res in shown}
    assert sorted(copies) == ["hello-beijing", "hello-hangzhou", "plain"]
    assert copies["hello-hangzhou"]["app.oam.dev/replicaKey"] == "hangzhou"


def test_a_copy_waits_only_for_its_own_keys_copy_of_a_dependency(h: Harness) -> None:
    text = (
        app()
        .replace(
            "    - name: plain\n      type: regional\n",
            "    - name: plain\n      type: regional\n      dependsOn: [hello]\n",
        )
        .replace("selector: [hello]", "selector: [hello, plain]")
    )
    mem = h.targets["mem"]
    mem.unhealthy.add(deployment("hello-beijing"))
    record = h.submit(text)
    record = h.controller.drive(record, timeout=30)
    assert record.phase != Phase.RUNNING
    assert mem.get(deployment("plain-hangzhou")) is not None  # its dependency's copy is healthy
    assert mem.get(deployment("plain-beijing")) is None  # waits for hello@beijing
    run = h.store.latest_run(record.id)
    assert run is not None
    messages = " ".join(str(s.message) for s in h.store.steps(run.id).values())
    assert "component hello@beijing on target mem" in messages
