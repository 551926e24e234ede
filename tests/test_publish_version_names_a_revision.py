"""`app.oam.dev/publishVersion` names a revision, as in KubeVela: `vessel revision list` shows the name,
`vessel workflow rollback --revision NAME` accepts it, and a different spec under a name an earlier
revision already has is refused (it would make the name mean two things)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
  annotations: {app.oam.dev/publishVersion: VERSION}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:IMAGE"}
"""
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    return tmp_path


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def up(home: Path, version: str, image: str):  # type: ignore[no-untyped-def]
    file = home / "app.yaml"
    file.write_text(APP.replace("VERSION", version).replace("IMAGE", image))
    return vessel("up", "-f", str(file), "--timeout", "30s")


def delivered_image(home: Path) -> str:
    [deployment] = [
        d
        for f in (home / "out").rglob("*.yaml")
        for d in yaml.safe_load_all(f.read_text())
        if d and d.get("kind") == "Deployment"
    ]
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


def test_revision_list_shows_each_revisions_publish_version(home: Path) -> None:
    assert up(home, "v1.0.0", "1").exit_code == 0
    assert up(home, "v1.1.0", "2").exit_code == 0
    listed = json.loads(vessel("revision", "list", "shop", "-o", "json").stdout)
    assert [(r["revision"], r["name"]) for r in listed] == [(1, "v1.0.0"), (2, "v1.1.0")]
    assert "v1.1.0" in vessel("revision", "list", "shop").stdout


def test_rollback_accepts_a_publish_version(home: Path) -> None:
    up(home, "v1.0.0", "1")
    up(home, "v1.1.0", "2")
    result = vessel("workflow", "rollback", "shop", "--revision", "v1.0.0", "--timeout", "30s")
    assert result.exit_code == 0, result.output
    assert "rolling back to revision 1" in result.stdout
    assert delivered_image(home) == "shop/api:1"


def test_rollback_to_a_name_no_revision_has_says_which_names_exist(home: Path) -> None:
    up(home, "v1.0.0", "1")
    result = vessel("workflow", "rollback", "shop", "--revision", "v9")
    assert result.exit_code == 1
    assert "shop has no revision named 'v9'" in result.stderr and "v1.0.0 (1)" in result.stderr


def test_a_changed_spec_under_a_used_publish_version_is_refused(home: Path) -> None:
    up(home, "v1.0.0", "1")
    result = up(home, "v1.0.0", "2")
    assert result.exit_code == 1
    assert "publishVersion 'v1.0.0' already names revision 1" in result.stderr
    assert "give this change a new app.oam.dev/publishVersion" in result.stderr
    assert delivered_image(home) == "shop/api:1"
