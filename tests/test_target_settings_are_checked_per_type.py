"""Each target type declares its settings once (`targets.settings.DECLARED`); `vessel target add` refuses a
key its type does not take, listing the valid ones, and stores nothing; `target list -o yaml|json` shows
the settings a target was registered with; a target read back from the store is judged the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli
from vessel.errors import ValidationError
from vessel.targets import factory
from vessel.targets.protocol import TargetInfo

runner = CliRunner()


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    return tmp_path


def names() -> list[str]:
    return [t["name"] for t in json.loads(vessel("target", "list", "-o", "json").stdout)]


def test_an_unknown_setting_is_refused_naming_the_valid_ones_and_nothing_is_stored(home: Path) -> None:
    typo = vessel(
        "target", "add", "out", "--type", "directory", "--path", str(home), "--config", "clusterVerison=1.22"
    )
    assert typo.exit_code == 1
    assert "target 'out' (directory) has no setting 'clusterVerison'" in typo.stderr
    assert "valid settings: path, clusterVersion" in typo.stderr
    wrong_type = vessel("target", "add", "k8s", "--type", "kubernetes", "--path", str(home))
    assert wrong_type.exit_code == 1 and "has no setting 'path'" in wrong_type.stderr
    assert "kubeconfig, context, namespace, createNamespaces, timeout" in wrong_type.stderr
    assert names() == ["local"]


def test_a_setting_of_the_wrong_kind_is_refused_naming_it(home: Path) -> None:
    bad = vessel(
        "target", "add", "lab", "--type", "local", "--path", str(home / "lab"), "--config", "grace=soon"
    )
    assert bad.exit_code == 1 and "config.grace" in bad.stderr and "'soon'" in bad.stderr
    later = vessel("target", "add", "mem", "--type", "memory", "--config", "clusterVersion=latest")
    assert later.exit_code == 1 and "config.clusterVersion" in later.stderr  # read only when rendering
    assert names() == ["local"]


def test_target_list_shows_each_targets_settings_as_yaml_and_json(home: Path) -> None:
    added = vessel(
        "target",
        "add",
        "out",
        "--type",
        "directory",
        "--path",
        str(home / "out"),
        "--config",
        "clusterVersion=1.27",
    )
    assert added.exit_code == 0, added.output
    listed = vessel("target", "list", "-o", "yaml")
    assert listed.exit_code == 0, listed.output
    out = next(t for t in yaml.safe_load(listed.stdout) if t["name"] == "out")
    assert out["config"] == {"path": str(home / "out"), "clusterVersion": "1.27"}
    assert out["type"] == "directory" and out["default"] is False and out["reachable"] is True
    as_json = {t["name"]: t for t in json.loads(vessel("target", "list", "-o", "json").stdout)}
    assert as_json["out"] == out
    table = vessel("target", "list")
    assert table.exit_code == 0 and "out" in table.stdout and "directory" in table.stdout


def test_add_help_lists_every_types_settings() -> None:
    shown = vessel("target", "add", "--help")
    assert shown.exit_code == 0
    for key in ("clusterVersion", "createNamespaces", "ports", "grace", "kubeconfig"):
        assert key in shown.stdout


def test_a_stored_target_with_an_unknown_setting_is_judged_when_used(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="valid settings: path, clusterVersion"):
        factory.create(TargetInfo("out", "directory", {}, {"path": str(tmp_path), "colour": "blue"}))


def test_the_local_targets_documented_settings_are_taken(home: Path) -> None:
    # README: `--config minReadySeconds=N` on the target; `cgroups=false` tracks replicas by their shim.
    added = vessel(
        "target", "add", "edge", "--type", "local", "--path", str(home / "edge"),
        "--config", "minReadySeconds=2", "--config", "cgroups=false",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert sorted(names()) == ["edge", "local"]
