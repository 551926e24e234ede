"""A TraitDefinition's `conflictsWith` and `podDisruptive` do what they say: conflicting traits on one
component are an error naming both and the component; a pod-disruptive trait is shown by `vessel def`
and changing it on a delivered component is warned about by `vessel up`. Fields a definition kind
would never read, and conflict rules Vessel could never match, are refused when the definition loads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.definitions.files import load_files
from vessel.definitions.registry import build_registry
from vessel.errors import DefinitionError, ValidationError
from vessel.render.application import render_application
from vessel.testing.engine import Harness

runner = CliRunner()


def trait(name: str, conflicts: str = "[]", labels: str = "{}") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {{name: {name}, labels: {labels}}}
spec:
  conflictsWith: {conflicts}
  schematic:
    jinja:
      templates:
        kubernetes: |
          patch: {{metadata: {{annotations: {{{name}: "on"}}}}}}
---
"""


def application(*traits: str) -> str:
    attached = ", ".join(f"{{type: {t}}}" for t in traits)
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - {{name: api, type: webservice, properties: {{image: api:1}}, traits: [{attached}]}}
"""


def render(tmp_path: Path, text: str) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    loaded = load_files([str(path)])
    render_application(loaded.applications[0], build_registry(documents=loaded.definitions, plugins=False))


# --- conflictsWith --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definitions", "attached"),
    [
        (trait("ingress-a", "[ingress-b]") + trait("ingress-b"), ("ingress-a", "ingress-b")),
        (trait("ingress-a", "[ingress-b]") + trait("ingress-b"), ("ingress-b", "ingress-a")),  # either side
        (trait("ingress-a", '["*"]') + trait("ingress-b"), ("ingress-b", "ingress-a")),
        (
            trait("ingress-a", '["labelSelector:kind=ingress"]')
            + trait("ingress-b", labels="{kind: ingress}"),
            ("ingress-a", "ingress-b"),
        ),
    ],
)
def test_conflicting_traits_on_one_component_are_an_error(
    tmp_path: Path, definitions: str, attached: tuple[str, str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        render(tmp_path, definitions + application(*attached))
    message = caught.value.render()
    assert "component 'api'" in message and "cannot be attached together" in message
    assert "'ingress-a'" in message and "'ingress-b'" in message
    assert "spec.components[0].traits[1]" in message  # where: the second of the two


def test_traits_that_do_not_conflict_render(tmp_path: Path) -> None:
    definitions = trait("ingress-a", '["ingress-c", "labelSelector:kind=ingress"]') + trait(
        "ingress-b", labels="{kind: other}"
    )
    render(tmp_path, definitions + application("ingress-a", "ingress-b"))


def test_vessel_dry_run_reports_a_conflict_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        trait("ingress-a", "[ingress-b]") + trait("ingress-b") + application("ingress-a", "ingress-b")
    )
    result = runner.invoke(cli, ["dry-run", "-f", str(path)])
    assert result.exit_code == 1
    assert "traits 'ingress-a' and 'ingress-b' cannot be attached together" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("conflicts", "says"),
    [('["*.networking.k8s.io"]', "API group"), ('["labelSelector:tier in (a,b)"]', "label selector")],
)
def test_conflict_rules_vessel_cannot_match_are_refused(tmp_path: Path, conflicts: str, says: str) -> None:
    with pytest.raises(DefinitionError, match=says):
        render(tmp_path, trait("ingress-a", conflicts) + application("ingress-a"))


def test_trait_only_fields_on_another_kind_are_refused(tmp_path: Path) -> None:
    component = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: thing}
spec:
  podDisruptive: true
  schematic: {jinja: {templates: {kubernetes: "output: {apiVersion: v1, kind: ConfigMap}"}}}
"""
    path = tmp_path / "defs.yaml"
    path.write_text(component)
    with pytest.raises(DefinitionError, match="spec.podDisruptive means nothing in a ComponentDefinition"):
        load_files([str(path)])


# --- podDisruptive --------------------------------------------------------------------------------


def shop(labels: str, replicas: int, extra: str = "") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: api
      type: webservice
      properties: {{image: api:1}}
      traits:
        - {{type: labels, properties: {labels}}}
        - {{type: scaler, properties: {{replicas: {replicas}}}}}
{extra}"""


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


def test_changing_a_pod_disruptive_trait_of_a_delivered_component_warns(h: Harness) -> None:
    h.up(shop("{team: a}", 1))
    scaled = h.controller.submit(h.app(shop("{team: a}", 3)), h.registry)
    assert scaled.revision == 2 and scaled.warnings == ()  # scaler does not touch the pod template
    h.controller.drive(scaled.app)
    relabelled = h.controller.submit(h.app(shop("{team: b}", 3)), h.registry)
    assert relabelled.warnings == (
        "component 'api': pod-disruptive trait 'labels' changed: its pods will be restarted",
    )
    events = [e for e in h.store.events(relabelled.app.id) if e.reason == "PodDisruptive"]
    assert [e.type for e in events] == ["Warning"]


def test_components_not_delivered_yet_are_not_warned_about(h: Harness) -> None:
    """No pods to restart: a component new in this revision, or one the last run never reached."""
    waiting = (
        "    - {name: worker, type: worker, properties: {image: w},\n"
        "       traits: [{type: labels, properties: LABELS}]}\n"
        "  workflow:\n"
        "    steps:\n"
        "      - {name: api, type: apply-component, properties: {component: api}}\n"
        "      - {name: approve, type: suspend}\n"
        "      - {name: worker, type: apply-component, properties: {component: worker}}\n"
    )
    h.up(shop("{team: a}", 1))
    first = h.controller.submit(h.app(shop("{team: a}", 1, waiting.replace("LABELS", "{a: b}"))), h.registry)
    assert first.warnings == ()  # worker is new
    assert h.controller.drive(first.app).phase == "workflowSuspending"  # worker never delivered
    second = h.controller.submit(h.app(shop("{team: a}", 1, waiting.replace("LABELS", "{a: c}"))), h.registry)
    assert second.revision == 3 and second.warnings == ()


def test_vessel_up_prints_the_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    assert (
        runner.invoke(
            cli, ["target", "add", "out", "--type", "directory", "--path", str(tmp_path), "--default"]
        ).exit_code
        == 0
    )
    path = tmp_path / "app.yaml"
    path.write_text(shop("{team: a}", 1))
    assert runner.invoke(cli, ["up", "-f", str(path)]).exit_code == 0
    path.write_text(shop("{team: b}", 1))
    result = runner.invoke(cli, ["up", "-f", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: shop: component 'api': pod-disruptive trait 'labels' changed" in result.stderr


def test_def_commands_show_pod_disruptive_and_conflicts() -> None:
    shown = runner.invoke(cli, ["def", "show", "labels"])
    assert "pod-disruptive: yes" in shown.stdout
    listed = {d["name"]: d for d in json.loads(runner.invoke(cli, ["def", "list", "-o", "json"]).stdout)}
    assert listed["labels"]["podDisruptive"] is True and listed["scaler"]["podDisruptive"] is False
    assert listed["pure-ingress"]["conflictsWith"] == []
    assert "podDisruptive" not in listed["webservice"]
