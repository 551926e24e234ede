"""Fields KubeVela's Application files use that Vessel once refused or ignored are read as KubeVela
reads them: unnamed policies, `traits:` with no value, `status:` and server metadata from an exported
Application (ignored, with a note, never in a revision), and `externalRevision`."""

from __future__ import annotations

from pathlib import Path

from vessel.controller.revisions import application_from_snapshot, snapshot
from vessel.definitions.check import check_expressions
from vessel.definitions.files import load_files
from vessel.definitions.registry import build_registry
from vessel.errors import ValidationError
from vessel.model import parse_application, read_text
from vessel.model.application import Application
from vessel.render.component import render_component
from vessel.workflow.plan import plan_for

HEAD = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx}
"""


def app_of(text: str) -> Application:
    [doc] = read_text(text, "app.yaml")
    return parse_application(doc)


def test_policies_without_a_name_get_stable_names_that_avoid_taken_ones() -> None:
    text = (
        HEAD
        + """\
  policies:
    - type: topology
      properties: {clusters: [local]}
    - name: topology-2
      type: override
      properties: {}
    - type: topology
      properties: {clusters: [local], namespace: b}
"""
    )
    first, again = app_of(text), app_of(text)
    assert [p.name for p in first.policies] == ["topology", "topology-2", "topology-3"]
    assert [p.name for p in again.policies] == [p.name for p in first.policies]
    steps = [s.name for s in plan_for(first).steps]
    assert steps == ["deploy-topology", "deploy-topology-3"]


def test_traits_and_properties_written_with_no_value_are_empty() -> None:
    app = app_of(HEAD.replace("      properties: {image: nginx}\n", "      properties:\n      traits:\n"))
    assert app.components[0].traits == ()
    assert dict(app.components[0].properties) == {}


EXPORTED = (
    HEAD.replace("  name: shop\n", '  name: shop\n  resourceVersion: "4711"\n  uid: 0b5e\n')
    + "status:\n  status: running\n  services: []\n"
)


def test_status_and_server_metadata_are_ignored_with_a_note_naming_each(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(EXPORTED)
    loaded = load_files([str(file)])
    notes = loaded.all_notes()
    assert any("app.yaml:12: status: ignored" in n for n in notes), notes
    assert any("app.yaml:5: metadata.resourceVersion: ignored" in n for n in notes), notes
    assert any("metadata.uid: ignored" in n for n in notes), notes


def test_an_exported_application_makes_the_same_revision_as_the_one_written_by_hand() -> None:
    registry = build_registry(plugins=False)
    exported, written = app_of(EXPORTED), app_of(HEAD)
    assert snapshot(exported, registry).digest == snapshot(written, registry).digest
    stored = snapshot(exported, registry).spec
    assert "status" not in stored and "resourceVersion" not in stored["metadata"]


def test_external_revision_names_the_component_revision_templates_see() -> None:
    registry = build_registry(plugins=False)
    app = app_of(
        HEAD.replace("      type: webservice\n", "      type: webservice\n      externalRevision: web-v7\n")
    )
    again = application_from_snapshot(snapshot(app, registry).spec)
    assert app.components[0].external_revision == again.components[0].external_revision == "web-v7"
    rendered = render_component(app, app.components[0], registry)
    assert rendered.context["revision"] == "web-v7"
    plain = app_of(HEAD)
    assert render_component(plain, plain.components[0], registry).context["revision"] == "web-v1"


def test_a_cue_returns_path_in_value_from_is_refused_with_the_outputs_to_read_instead() -> None:
    app = app_of(
        HEAD
        + """\
  workflow:
    steps:
      - name: read
        type: read-object
        properties: {kind: ConfigMap, apiVersion: v1, name: settings}
        outputs:
          - name: cpu
            valueFrom: output.$returns.value.data["cpu"]
"""
    )
    try:
        check_expressions(app)
    except ValidationError as exc:
        assert "spec.workflow.steps[0].outputs[0].valueFrom" in str(exc.location)
        assert "vessel def show" in (exc.hint or "") and "value.data.key" in (exc.hint or "")
    else:
        raise AssertionError("a $returns path was accepted")
