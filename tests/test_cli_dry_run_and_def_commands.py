"""`vessel dry-run` and `vessel def …` as users run them: stdout carries only manifests, errors go to
stderr with a non-zero exit and no traceback, and output order is stable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli

FIXTURES = Path(__file__).parent / "golden" / "_fixtures"
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: golden-deployment
      properties: {image: "shop/api:1"}
      traits:
        - type: scaler
          properties: {replicas: 2}
    - name: web
      type: golden-deployment
      properties: {image: "shop/web:1"}
"""
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(APP)
    return path


def test_dry_run_prints_one_resource_per_document_in_component_order(app_file: Path) -> None:
    result = invoke("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES))
    assert result.exit_code == 0, result.output
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Deployment", "api"),
        ("Deployment", "web"),
    ]
    assert docs[0]["spec"]["replicas"] == 2


def test_dry_run_output_is_byte_for_byte_stable(app_file: Path) -> None:
    args = ("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES))
    assert invoke(*args).stdout == invoke(*args).stdout


def test_dry_run_json_is_a_kubernetes_list(app_file: Path) -> None:
    result = invoke("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES), "-o", "json")
    doc = json.loads(result.stdout)
    assert doc["kind"] == "List" and [i["metadata"]["name"] for i in doc["items"]] == ["api", "web"]


def test_definitions_can_come_from_the_environment(app_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VESSEL_DEFINITIONS", str(FIXTURES))
    assert invoke("dry-run", "-f", str(app_file)).exit_code == 0


def test_bad_property_fails_without_traceback_and_renders_nothing(app_file: Path) -> None:
    app_file.write_text(APP.replace("replicas: 2", "replicas: three"))
    proc = subprocess.run(
        [sys.executable, "-m", "vessel", "dry-run", "-f", str(app_file), "--definitions", str(FIXTURES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert (
        f"{app_file}:11: spec.components[0].traits[0].properties.replicas: expected integer, got 'three'"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_unknown_component_type_lists_known_types(app_file: Path) -> None:
    app_file.write_text(APP.replace("type: golden-deployment", "type: golden-deploymnt", 1))
    result = invoke("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES))
    assert result.exit_code == 1
    assert "spec.components[0].type: unknown component type 'golden-deploymnt'" in result.stderr
    assert "golden-deployment" in result.stderr


def test_unknown_policy_and_step_types_are_reported_before_rendering(app_file: Path) -> None:
    app_file.write_text(
        APP + "  policies:\n    - {name: p, type: no-such-policy}\n"
        "  workflow:\n    steps:\n      - {name: s, type: no-such-step}\n"
    )
    result = invoke("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES))
    assert result.exit_code == 1
    assert "unknown policy type 'no-such-policy'" in result.stderr
    assert "unknown workflow step type 'no-such-step'" in result.stderr


def test_value_with_document_separator_cannot_add_a_resource(app_file: Path) -> None:
    app_file.write_text(APP.replace('"shop/web:1"', '"x\\n---\\napiVersion: v1\\nkind: Secret"'))
    result = invoke("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES))
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert [d["kind"] for d in docs] == ["Deployment", "Deployment"]


def test_def_list_json_includes_builtins() -> None:
    rows = json.loads(invoke("def", "list", "-o", "json").stdout)
    assert {"kind": "TraitDefinition", "name": "scaler"}.items() <= next(
        r for r in rows if r["name"] == "scaler"
    ).items()


def test_def_show_prints_the_parameter_table() -> None:
    result = invoke("def", "show", "scaler")
    assert result.exit_code == 0
    assert (
        "replicas" in result.stdout and "integer" in result.stdout and "Specify the number" in result.stdout
    )


def test_def_render_applies_set_values() -> None:
    result = invoke("def", "render", "scaler", "--set", "replicas=4")
    assert result.exit_code == 0, result.output
    (doc,) = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert doc["spec"]["replicas"] == 4


def test_def_render_refuses_a_set_integer_beyond_64_bits_without_a_traceback() -> None:
    result = invoke("def", "render", "scaler", "--set", "replicas=" + "9" * 5000)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--set replicas:1: integer 999999999999…999999 (5000 characters) is out of range" in result.stderr


def test_def_vet_accepts_a_good_definition_and_rejects_a_broken_one(tmp_path: Path) -> None:
    assert invoke("def", "vet", str(FIXTURES / "golden-deployment.yaml")).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (FIXTURES / "golden-deployment.yaml")
        .read_text()
        .replace("{{ parameter.image }}", "{{ parameter.imag }}")
    )
    result = invoke("def", "vet", str(broken))
    assert result.exit_code == 1
    assert "broken.yaml" in result.stderr and "imag" in result.stderr


def test_every_builtin_definition_passes_vet() -> None:
    builtin = Path(__file__).parent.parent / "src" / "vessel" / "definitions" / "builtin"
    result = invoke("def", "vet", str(builtin))
    assert result.exit_code == 0, result.output


def test_every_mistake_in_the_file_is_reported_in_one_run(app_file: Path) -> None:
    text = APP.replace('{image: "shop/api:1"}', "{image: 7}").replace("replicas: 2", "replicas: two")
    app_file.write_text(
        text.replace(
            'type: golden-deployment\n      properties: {image: "shop/web:1"}', "type: golden-deploymnt"
        )
    )
    result = invoke("dry-run", "-f", str(app_file), "--definitions", str(FIXTURES))
    assert result.exit_code == 1
    assert "3 problems found" in result.stderr
    for expected in (
        "spec.components[0].properties.image: expected string, got 7",
        "spec.components[0].traits[0].properties.replicas: expected integer, got 'two'",
        "spec.components[1].type: unknown component type 'golden-deploymnt'",
    ):
        assert expected in result.stderr


MULTI = (
    APP
    + """\
  policies:
    - {name: stage, type: topology, properties: {clusters: [stage], namespace: staging}}
    - {name: prod, type: topology, properties: {clusters: [prod-eu, prod-us], namespace: prod}}
    - name: big
      type: override
      properties:
        components: [{name: api, traits: [{type: scaler, properties: {replicas: 5}}]}]
  workflow:
    steps:
      - {name: to-stage, type: deploy, properties: {policies: [stage]}}
      - {name: to-prod, type: deploy, properties: {policies: [prod, big]}}
"""
)


def test_dry_run_applies_topology_and_override_per_placement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "empty-home"))
    (tmp_path / "multi.yaml").write_text(MULTI)
    result = invoke("dry-run", "-f", str(tmp_path / "multi.yaml"), "--definitions", str(FIXTURES))
    assert result.exit_code == 0, result.output
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    api = [
        (d["metadata"]["namespace"], d["spec"]["replicas"]) for d in docs if d["metadata"]["name"] == "api"
    ]
    assert api == [("staging", 2), ("prod", 5), ("prod", 5)]
    assert "-- target prod-us" in result.stdout
    assert not (tmp_path / "empty-home").exists(), "dry-run must not create a store"
