"""Definitions come from built-ins, entry points, directories (flag or VESSEL_DEFINITIONS) and the
Application file; later sources override earlier ones, and a broken definition is reported clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vessel.definitions import Definition, Kind, Parameters, PythonTemplate, build_registry, load_path
from vessel.definitions import registry as registry_module
from vessel.errors import DefinitionError, Location, UnknownTypeError, VesselError

SCALER_OVERRIDE = """\
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata:
  name: scaler
  annotations: {definition.oam.dev/description: platform team's scaler}
spec:
  schematic:
    jinja:
      templates:
        kubernetes: "patch: {spec: {replicas: 5}}"
"""


def test_directory_definition_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "scaler.yaml").write_text(SCALER_OVERRIDE)
    registry = build_registry([tmp_path], plugins=False)
    assert registry.get(Kind.TRAIT, "scaler").description == "platform team's scaler"


def test_app_file_definition_overrides_directory(tmp_path: Path) -> None:
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "scaler.yaml").write_text(SCALER_OVERRIDE)
    app_file = tmp_path / "app.yaml"
    app_file.write_text(SCALER_OVERRIDE.replace("platform team's scaler", "from the app file"))
    (from_app,) = load_path(app_file)
    registry = build_registry([defs], [from_app], plugins=False)
    assert registry.get(Kind.TRAIT, "scaler").description == "from the app file"


def test_same_name_twice_in_one_source_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SCALER_OVERRIDE)
    (tmp_path / "b.yaml").write_text(SCALER_OVERRIDE)
    with pytest.raises(DefinitionError, match="defined twice"):
        load_path(tmp_path)


def test_unknown_type_lists_the_known_ones() -> None:
    registry = build_registry(plugins=False)
    with pytest.raises(UnknownTypeError, match="unknown trait type 'scalar'.*known: .*scaler"):
        registry.get(Kind.TRAIT, "scalar")


def test_broken_definition_names_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(SCALER_OVERRIDE.replace("templates:", "templatez:"))
    with pytest.raises(VesselError, match=r"bad.yaml:9: spec.schematic.jinja"):
        load_path(tmp_path)


def test_bad_parameter_schema_is_a_definition_error(tmp_path: Path) -> None:
    text = SCALER_OVERRIDE.replace(
        "      templates:",
        "      parameters: {type: object, properties: {replicas: {type: integr}}}\n      templates:",
    )
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(DefinitionError, match="not a valid JSON Schema"):
        load_path(tmp_path)


def test_entry_point_plugins_register_python_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = Definition(
        kind=Kind.TRAIT,
        name="py-trait",
        parameters=Parameters(None, Location()),
        templates={"kubernetes": PythonTemplate(lambda p, c: {"patch": {"spec": {"paused": True}}}, "py")},
        origin="entry point demo",
    )

    class EntryPoint:
        name = "demo"

        def load(self) -> object:
            return lambda: [plugin]

    monkeypatch.setattr(registry_module.metadata, "entry_points", lambda group: [EntryPoint()])
    registry = build_registry()
    assert registry.get(Kind.TRAIT, "py-trait") is plugin


def test_env_variable_adds_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VESSEL_DEFINITIONS", str(tmp_path))
    assert registry_module.directories_from_env() == [str(tmp_path)]


PLUGIN = """
from vessel.definitions import Kind, python_definition

def _pause(parameter, context):
    return {"patch": {"spec": {"paused": parameter["paused"]}}}

DEFINITIONS = [python_definition(Kind.TRAIT, "pause", _pause,
               {"type": "object", "properties": {"paused": {"type": "boolean", "default": True}}},
               description="Pause a rollout (from a plugin)")]
"""


def test_installed_plugin_package_adds_definitions(tmp_path: Path) -> None:
    """A real installed distribution (dist-info with entry_points.txt) is discovered by `vessel`."""
    (tmp_path / "vessel_pause_plugin.py").write_text(PLUGIN)
    info = tmp_path / "vessel_pause_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vessel-pause-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[vessel.definitions]\npause = vessel_pause_plugin:DEFINITIONS\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    listed = subprocess.run(
        [sys.executable, "-m", "vessel", "def", "list", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert {"name": "pause", "description": "Pause a rollout (from a plugin)"}.items() <= next(
        d for d in json.loads(listed.stdout) if d["name"] == "pause"
    ).items()
    rendered = subprocess.run(
        [sys.executable, "-m", "vessel", "def", "render", "pause"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "paused: true" in rendered.stdout
