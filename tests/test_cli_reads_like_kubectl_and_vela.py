"""The read commands with kubectl's and vela's manners, delivering into a directory target: every read
command prints one document as a table, JSON or YAML (the same document either way; another format is
a usage error), `ls` lists one namespace unless `-A`, `up -n` overrides the file's namespace, `revision
show N` prints what revision N renders, and `vessel version` says which Vessel this is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from vessel import __version__
from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
"""
runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    assert (
        vessel(
            "target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"
        ).exit_code
        == 0
    )
    (tmp_path / "app.yaml").write_text(APP)
    up = vessel("up", "-f", str(tmp_path / "app.yaml"))
    assert up.exit_code == 0, up.output
    return tmp_path


READS = [
    ("status", "shop"),
    ("ls",),
    ("ls", "-A"),
    ("revision", "list", "shop"),
    ("events", "shop"),
    ("def", "list"),
    ("def", "show", "scaler"),
    ("diff", "shop"),
    ("version",),
]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_every_read_command_prints_one_document_as_table_json_or_yaml(
    env: Path, command: tuple[str, ...]
) -> None:
    as_json = vessel(*command, "-o", "json")
    assert as_json.exit_code == 0, as_json.output
    as_yaml = vessel(*command, "-o", "yaml")
    assert as_yaml.exit_code == 0, as_yaml.output
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
    table = vessel(*command)
    assert table.exit_code == 0 and table.stdout.strip() and table.stdout != as_json.stdout

    wrong = vessel(*command, "-o", "xml")
    assert wrong.exit_code == 2 and "xml" in wrong.output and "table" in wrong.output
    assert "Traceback" not in wrong.output


def test_documents_have_the_documented_shapes(env: Path) -> None:
    [app] = json.loads(vessel("ls", "-o", "json").stdout)
    assert app.keys() == {
        "name",
        "namespace",
        "phase",
        "message",
        "revision",
        "latestRevision",
        "createdAt",
        "updatedAt",
    }
    assert app["createdAt"].endswith("Z") and app["phase"] == "running"
    [revision] = json.loads(vessel("revision", "list", "shop", "-o", "json").stdout)
    assert revision.keys() == {"revision", "name", "digest", "createdAt", "current"} and revision["current"]
    events = json.loads(vessel("events", "shop", "-o", "json").stdout)
    assert events[0].keys() == {"time", "type", "reason", "message"}
    scaler = json.loads(vessel("def", "show", "scaler", "-o", "json").stdout)
    assert scaler["parameters"][0]["name"] == "replicas" and scaler["schema"]["type"] == "object"
    diffs = json.loads(vessel("diff", "shop", "-o", "json").stdout)
    assert {d["kind"]: d["state"] for d in diffs} == {"Deployment": "unchanged", "Service": "unchanged"}


def test_ls_lists_one_namespace_unless_all_namespaces(env: Path) -> None:
    moved = vessel("up", "-f", str(env / "app.yaml"), "-n", "team-a")
    assert moved.exit_code == 0, moved.output

    def listed(*args: str) -> list[tuple[str, str]]:
        return [(a["namespace"], a["name"]) for a in json.loads(vessel("ls", *args, "-o", "json").stdout)]

    assert listed() == [("default", "shop")]
    assert listed("-n", "team-a") == [("team-a", "shop")]
    assert listed("-A") == [("default", "shop"), ("team-a", "shop")]
    assert listed("-n", "nobody") == []
    assert "NAMESPACE" in vessel("ls", "-A").stdout and "NAMESPACE" not in vessel("ls").stdout


def test_up_n_delivers_into_that_namespace_whatever_the_file_says(env: Path) -> None:
    (env / "elsewhere.yaml").write_text(APP.replace("{name: shop}", "{name: shop, namespace: from-file}"))
    result = vessel("up", "-f", str(env / "elsewhere.yaml"), "-n", "team-b")
    assert result.exit_code == 0, result.output
    assert (env / "out/team-b/deployment.apps/api.yaml").exists()
    assert not (env / "out/from-file").exists()
    status = json.loads(vessel("status", "shop", "-n", "team-b", "-o", "json").stdout)
    assert status["phase"] == "running"

    refused = vessel("up", "-f", str(env / "app.yaml"), "-n", "Team_B")
    assert refused.exit_code == 1 and "--namespace: 'Team_B'" in refused.stderr
    assert "Traceback" not in refused.output


def test_revision_show_prints_what_that_revision_renders(env: Path) -> None:
    (env / "app.yaml").write_text(APP.replace("replicas: 2", "replicas: 3"))
    assert vessel("up", "-f", str(env / "app.yaml")).exit_code == 0

    def replicas(number: str) -> int:
        shown = vessel("revision", "show", "shop", number)
        assert shown.exit_code == 0, shown.output
        docs = [d for d in yaml.safe_load_all(shown.stdout) if d]
        assert [d["kind"] for d in docs] == ["Deployment", "Service"]
        return int(docs[0]["spec"]["replicas"])

    assert (replicas("1"), replicas("2")) == (2, 3)
    listed = json.loads(vessel("revision", "show", "shop", "1", "-o", "json").stdout)
    assert listed["kind"] == "List" and listed["items"][0]["spec"]["replicas"] == 2
    assert "Deployment" in vessel("revision", "show", "shop", "2", "-o", "table").stdout

    missing = vessel("revision", "show", "shop", "7")
    assert missing.exit_code == 1 and "has no revision 7" in missing.stderr


def test_version_says_which_vessel_this_is(env: Path) -> None:
    assert json.loads(vessel("version", "-o", "json").stdout)["version"] == __version__
    assert f"Version:  {__version__}" in vessel("version").stdout
    assert vessel("--version").stdout.strip() == f"vessel {__version__}"
