"""Adding a target never silently moves applications: the default target is explicit (`local` until
`target add --default` or `target set-default` says otherwise), and an application already delivered
keeps its placement — through restart, rollback and the steady-state loop — until a new revision of its
own; `up` then says the placement changes. A target that holds applications' objects cannot be removed
(the refusal lists them); removing the default makes `local` the default again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:IMAGE"}
"""
runner = CliRunner()


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    return tmp_path


def add(home: Path, name: str, *flags: str) -> Result:
    result = vessel("target", "add", name, "--type", "directory", "--path", str(home / name), *flags)
    assert result.exit_code == 0, result.output
    return result


def targets() -> dict[str, dict[str, Any]]:
    listed = vessel("target", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    return {t["name"]: t for t in json.loads(listed.stdout)}


def default() -> str:
    return next(name for name, t in targets().items() if t["default"])


def up(home: Path, image: str = "1") -> Result:
    (home / "app.yaml").write_text(APP.replace("IMAGE", image))
    result = vessel("up", "-f", str(home / "app.yaml"))
    assert result.exit_code == 0, result.output
    return result


def delivered(home: Path, target: str) -> bool:
    return (home / target / "default/deployment.apps/api.yaml").exists()


def test_adding_targets_keeps_local_the_default_until_told_otherwise(home: Path) -> None:
    add(home, "a")
    assert default() == "local"
    made = add(home, "b", "--default")
    assert "the default now; was local" in made.stdout and default() == "b"
    add(home, "c")
    assert default() == "b"
    switched = vessel("target", "set-default", "local")
    assert switched.exit_code == 0 and "was b" in switched.stdout and default() == "local"
    unknown = vessel("target", "set-default", "nowhere")
    assert unknown.exit_code == 1 and "target 'nowhere' is not registered" in unknown.stderr


def test_a_delivered_application_keeps_its_placement_until_its_next_revision(home: Path) -> None:
    add(home, "a", "--default")
    up(home)
    add(home, "b", "--default")
    assert delivered(home, "a") and not delivered(home, "b")

    for again in (("workflow", "restart", "shop"), ("run", "--once")):
        result = vessel(*again)
        assert result.exit_code == 0, result.output
        assert delivered(home, "a") and not delivered(home, "b"), again

    moved = up(home, image="2")
    assert "placement changes: a -> b (the default target is now b (was a))" in moved.stdout
    assert delivered(home, "b") and not delivered(home, "a")  # the new revision's, then a's pruned

    back = vessel("workflow", "rollback", "shop", "--revision", "1")
    assert back.exit_code == 0, back.output
    assert delivered(home, "a") and not delivered(home, "b")  # revision 1, exactly where it was


def test_an_unchanged_application_says_nothing_about_placement(home: Path) -> None:
    add(home, "a", "--default")
    assert "placement" not in up(home).stdout
    assert "placement" not in up(home, image="2").stdout


def test_a_target_holding_objects_cannot_be_removed_and_the_refusal_lists_them(home: Path) -> None:
    add(home, "a", "--default")
    up(home)
    refused = vessel("target", "remove", "a")
    assert refused.exit_code == 1
    assert "target 'a' still holds resources of default/shop (1 object)" in refused.stderr
    assert "vessel delete" in refused.stderr
    assert "a" in targets() and delivered(home, "a")


def test_removing_the_default_makes_local_the_default_again(home: Path) -> None:
    add(home, "a", "--default")
    removed = vessel("target", "remove", "a")
    assert removed.exit_code == 0, removed.output
    assert "it was the default: the default target is local again" in removed.stdout
    assert default() == "local" and "a" not in targets()
    implicit = vessel("target", "remove", "local")
    assert implicit.exit_code == 1 and "`local` is always present" in implicit.stderr
