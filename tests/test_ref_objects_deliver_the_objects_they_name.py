"""KubeVela's `ref-objects` component: the objects it names (by name or label selector, by resource or
apiVersion/kind, optionally from another target) are read when a deploy delivers it, cleaned of what
their API server wrote, and delivered and managed as the component's — copied to the placement's target,
or adopted where they are. A named object that does not exist keeps the deploy waiting, saying which."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.testing.engine import Harness

CONFIG = ResourceKey("v1", "ConfigMap", "default", "settings")
WEB = ResourceKey("apps/v1", "Deployment", "default", "web")


def configmap(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": labels,
            "uid": "abc",
            "resourceVersion": "7",
        },
        "data": {"level": "info"},
    }


def app(objects: str, policies: str = "") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: refs}}
spec:
  components:
    - name: web
      type: ref-objects
      properties:
        objects: {objects}
{policies}"""


TO_MEMBER = """\
  policies:
    - {name: member, type: topology, properties: {clusters: [member]}}
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url, "hub", "member")
    yield harness
    harness.store.close()


def labels(obj: dict[str, Any] | None) -> dict[str, str]:
    assert obj is not None
    return dict(obj["metadata"].get("labels") or {})


def test_objects_read_from_one_target_are_delivered_to_another(h: Harness) -> None:
    h.targets["hub"].apply(configmap("settings", tier="config"))
    record = h.up(app("[{resource: configmap, name: settings, cluster: hub}]", TO_MEMBER))
    assert record.phase == Phase.RUNNING
    copied = h.targets["member"].get(CONFIG)
    assert copied is not None and copied["data"] == {"level": "info"}
    (entry,) = h.store.inventory(record.id)
    assert entry.key == CONFIG and entry.target == "member"
    assert "uid" not in entry.manifest["metadata"] and "resourceVersion" not in entry.manifest["metadata"]
    assert labels(copied)["tier"] == "config"
    assert labels(copied)["app.oam.dev/name"] == "refs"
    assert labels(copied)["app.oam.dev/component"] == "web"


def test_objects_selected_by_labels_are_adopted_where_they_are(h: Harness) -> None:
    h.targets["hub"].apply(configmap("a", team="shop"))
    h.targets["hub"].apply(configmap("b", team="shop"))
    h.targets["hub"].apply(configmap("c", team="other"))
    record = h.up(app("[{apiVersion: v1, kind: ConfigMap, labelSelector: {team: shop}}]"))
    assert record.phase == Phase.RUNNING
    held = sorted(e.key.name for e in h.store.inventory(record.id))
    assert held == ["a", "b"]  # no take-over policy needed: naming them is the consent
    assert (
        labels(h.targets["hub"].get(ResourceKey("v1", "ConfigMap", "default", "a")))["app.oam.dev/name"]
        == "refs"
    )
    assert "app.oam.dev/name" not in labels(
        h.targets["hub"].get(ResourceKey("v1", "ConfigMap", "default", "c"))
    )


def test_a_missing_object_is_named_while_the_deploy_waits(h: Harness) -> None:
    record = h.submit(app("[{resource: deployment, group: apps}]"))  # no name: the component's, `web`
    record = h.controller.drive(record, timeout=5)
    run = h.store.latest_run(record.id)
    assert run is not None and record.phase != Phase.RUNNING
    steps = " ".join(str(s.message) for s in h.store.steps(run.id).values())
    assert f"the object it refers to, {WEB}, does not exist" in steps


def test_name_and_label_selector_together_are_refused(h: Harness) -> None:
    record = h.up(app("[{resource: configmaps, name: a, labelSelector: {team: shop}}]"))
    run = h.store.latest_run(record.id)
    assert run is not None
    assert "name and labelSelector cannot be both set" in run.message


def test_dry_run_checks_selectors_and_says_the_objects_are_read_at_deploy(tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    good.write_text(app("[{resource: deployment, group: apps}]"))
    result = runner.invoke(cli, ["dry-run", "-f", str(good)])
    assert result.exit_code == 0, result.output
    assert "component web is ref-objects: its objects are read from the target" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(app("[{resource: widgets, name: w}]"))
    result = runner.invoke(cli, ["dry-run", "-f", str(bad)])
    assert result.exit_code == 1
    assert "spec.components[0].properties.objects[0].resource: resource 'widgets'" in result.stderr
