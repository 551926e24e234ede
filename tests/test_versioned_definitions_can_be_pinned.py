"""Versioned definitions, as KubeVela's DefinitionRevisions: a definition file may carry `spec.version`,
an Application may pin one with `type: NAME@vVERSION` (the plain NAME is the newest), an unknown version
is refused naming the installed ones, and a revision keeps rendering the version it resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from vessel.controller.revisions import application_from_snapshot, registry_from_snapshot, snapshot
from vessel.definitions.registry import Registry, build_registry, load_path
from vessel.errors import DefinitionError, UnknownTypeError
from vessel.model import parse_application, read_text
from vessel.model.application import Application
from vessel.render.application import render_application

DEFINITION = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: tiny}
spec:
  version: "VERSION"
  workload: {definition: {apiVersion: v1, kind: ConfigMap}}
  schematic:
    jinja:
      templates:
        kubernetes: |
          output:
            apiVersion: v1
            kind: ConfigMap
            data: {made-by: "VERSION"}
"""
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: pinned}
spec:
  components:
    - {name: old, type: tiny@v1.2.0}
    - {name: new, type: tiny}
"""


def registry(tmp_path: Path, *versions: str) -> Registry:
    for version in versions:
        (tmp_path / f"tiny-{version}.yaml").write_text(DEFINITION.replace("VERSION", version))
    return build_registry([tmp_path], plugins=False)


def app_of(text: str) -> Application:
    [doc] = read_text(text, "app.yaml")
    return parse_application(doc)


def made_by(app: Application, reg: Registry) -> dict[str, str]:
    return {c.name: c.resources[0].body["data"]["made-by"] for c in render_application(app, reg)}


def test_a_pinned_version_renders_that_version_and_the_plain_name_the_newest(tmp_path: Path) -> None:
    reg = registry(tmp_path, "1.10.0", "1.2.0", "1.9.0")
    assert made_by(app_of(APP), reg) == {"old": "1.2.0", "new": "1.10.0"}


def test_labels_carry_the_plain_type_name(tmp_path: Path) -> None:
    [old, _] = render_application(app_of(APP), registry(tmp_path, "1.2.0"))
    assert old.resources[0].body["metadata"]["labels"]["workload.oam.dev/type"] == "tiny"


def test_an_unknown_version_is_refused_naming_the_installed_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownTypeError) as err:
        render_application(app_of(APP.replace("@v1.2.0", "@v3")), registry(tmp_path, "1.2.0", "2.0.0"))
    assert "spec.components[0].type: unknown component type version 'tiny@v3'" in str(err.value)
    assert "versions installed: tiny@v1.2.0, tiny@v2.0.0" in str(err.value)


def test_a_revision_keeps_rendering_the_versions_it_resolved(tmp_path: Path) -> None:
    app = app_of(APP)
    snap = snapshot(app, registry(tmp_path, "1.2.0", "2.0.0"))
    later = build_registry(plugins=False)  # tiny uninstalled since
    rebuilt = registry_from_snapshot([doc for *_, doc in snap.definitions], later)
    assert made_by(application_from_snapshot(snap.spec), rebuilt) == {"old": "1.2.0", "new": "2.0.0"}


def test_one_source_may_hold_several_versions_but_not_one_version_twice(tmp_path: Path) -> None:
    registry(tmp_path, "1.2.0", "2.0.0")
    (tmp_path / "again.yaml").write_text(DEFINITION.replace("VERSION", "2.0.0"))
    with pytest.raises(DefinitionError, match="ComponentDefinition 'tiny' version 2.0.0 is defined twice"):
        load_path(tmp_path)


def test_def_show_finds_a_pinned_version(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vessel.cli.main import app as cli

    registry(tmp_path, "1.2.0", "2.0.0")
    shown = CliRunner().invoke(cli, ["def", "show", "tiny@v1.2.0", "--definitions", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "tiny-1.2.0.yaml" in shown.stdout
