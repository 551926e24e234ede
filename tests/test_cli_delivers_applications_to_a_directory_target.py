"""The lifecycle commands as people use them, delivering into a real directory target: up (with
approval), status, resume, ls, revision list, events, run, delete, target add/list/remove."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

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
    - name: worker
      type: worker
      properties: {image: "shop/worker:1"}
  workflow:
    steps:
      - {name: api, type: apply-component, properties: {component: api}}
      - {name: approve, type: suspend}
      - {name: worker, type: apply-component, properties: {component: worker}}
"""
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    out = tmp_path / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    (tmp_path / "app.yaml").write_text(APP)
    return tmp_path


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def status(name: str = "shop") -> dict:  # type: ignore[type-arg]
    result = vessel("status", name, "-o", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_up_waits_for_approval_then_resume_delivers_the_rest(env: Path) -> None:
    result = vessel("up", "-f", str(env / "app.yaml"))
    assert result.exit_code == 0, result.output
    assert "suspended" in result.stdout and "vessel workflow resume shop" in result.stdout
    doc = status()
    assert doc["phase"] == "workflowSuspending" and doc["revision"] == 1
    assert [(s["name"], s["phase"]) for s in doc["workflow"]["steps"]] == [
        ("api", "succeeded"),
        ("approve", "suspending"),
        ("worker", "pending"),
    ]
    assert (env / "out/default/deployment.apps/api.yaml").exists()
    assert not (env / "out/default/deployment.apps/worker.yaml").exists()

    assert vessel("workflow", "resume", "shop").exit_code == 0
    doc = status()
    assert doc["phase"] == "running" and doc["workflow"]["phase"] == "succeeded"
    assert {s["component"]: s["healthy"] for s in doc["services"]} == {"api": True, "worker": True}
    written = yaml.safe_load((env / "out/default/deployment.apps/worker.yaml").read_text())
    assert written["metadata"]["labels"]["app.oam.dev/name"] == "shop"


def test_status_json_has_the_documented_shape(env: Path) -> None:
    vessel("up", "-f", str(env / "app.yaml"))
    doc = status()
    assert {"name", "phase", "revision", "workflow", "services"} <= doc.keys()
    assert {"phase", "steps"} <= doc["workflow"].keys()
    assert {"name", "type", "phase", "message", "subSteps"} <= doc["workflow"]["steps"][0].keys()
    assert {"component", "target", "healthy", "message"} <= doc["services"][0].keys()


def test_new_revision_prunes_what_it_no_longer_renders(env: Path) -> None:
    vessel("up", "-f", str(env / "app.yaml"))
    vessel("workflow", "resume", "shop")
    smaller = APP.replace(
        '    - name: worker\n      type: worker\n      properties: {image: "shop/worker:1"}\n', ""
    )
    smaller = smaller.replace(
        "      - {name: approve, type: suspend}\n      - {name: worker, type: apply-component, "
        "properties: {component: worker}}\n",
        "",
    )
    (env / "app.yaml").write_text(smaller)
    result = vessel("up", "-f", str(env / "app.yaml"))
    assert result.exit_code == 0, result.output
    assert not (env / "out/default/deployment.apps/worker.yaml").exists()
    listed = json.loads(vessel("revision", "list", "shop", "-o", "json").stdout)
    assert [r["revision"] for r in listed] == [1, 2] and listed[1]["current"]


def test_delete_removes_every_file_it_wrote_and_nothing_else(env: Path) -> None:
    vessel("up", "-f", str(env / "app.yaml"))
    vessel("workflow", "resume", "shop")
    foreign = env / "out" / "notes.txt"
    foreign.write_text("mine")
    assert vessel("delete", "shop").exit_code == 0
    assert [p.name for p in (env / "out").rglob("*") if p.is_file()] == ["notes.txt"]
    assert json.loads(vessel("ls", "-o", "json").stdout) == []


def test_failed_workflow_exits_non_zero_and_says_why(env: Path) -> None:
    (env / "app.yaml").write_text(
        APP + "  policies:\n    - {name: eu, type: topology, properties: {clusters: [eu-1]}}\n"
    )
    text = (
        (env / "app.yaml")
        .read_text()
        .replace("properties: {component: api}", "properties: {component: api, cluster: eu-1}")
    )
    (env / "app.yaml").write_text(text)
    result = vessel("up", "-f", str(env / "app.yaml"))
    assert result.exit_code == 1
    assert "workflowFailed" in result.output and "eu-1" in result.output


def test_run_once_corrects_drift_in_a_separate_process(env: Path) -> None:
    vessel("up", "-f", str(env / "app.yaml"))
    vessel("workflow", "resume", "shop")
    path = env / "out/default/deployment.apps/api.yaml"
    original = path.read_text()
    path.write_text(original.replace("replicas: 2", "replicas: 7"))
    proc = subprocess.run(
        [sys.executable, "-m", "vessel", "run", "--once"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "VESSEL_HOME": str(env / "home")},
    )
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == original


def test_events_tell_the_story(env: Path) -> None:
    vessel("up", "-f", str(env / "app.yaml"))
    vessel("workflow", "resume", "shop")
    text = vessel("events", "shop").stdout
    assert "revision 1 created" in text and "Resume" in text


def test_targets_can_be_listed_and_removed_only_when_unused(env: Path) -> None:
    listed = json.loads(vessel("target", "list", "-o", "json").stdout)
    assert listed[0] | {"labels": {}} == listed[0] and listed[0]["name"] == "out" and listed[0]["reachable"]
    vessel("up", "-f", str(env / "app.yaml"))
    refused = vessel("target", "remove", "out")
    assert refused.exit_code == 1 and "still holds resources of default/shop (2 objects)" in refused.stderr
    vessel("delete", "shop")
    assert vessel("target", "remove", "out").exit_code == 0


def test_unknown_application_is_a_clear_error(env: Path) -> None:
    result = vessel("status", "nope")
    assert result.exit_code == 1 and "application default/nope does not exist" in result.stderr


def test_a_directory_target_renders_for_the_cluster_version_it_is_given(env: Path) -> None:
    old = env / "old"
    added = vessel(
        "target", "add", "old", "--type", "directory", "--path", str(old), "--config", "clusterVersion=1.22"
    )
    assert added.exit_code == 0, added.output
    bad = vessel(
        "target",
        "add",
        "bad",
        "--type",
        "directory",
        "--path",
        str(env / "bad"),
        "--config",
        "clusterVersion=new",
    )
    assert bad.exit_code == 1 and "config.clusterVersion" in bad.output
    app = APP.split("  workflow:")[0].replace(
        "type: scaler, properties: {replicas: 2}", "type: hpa, properties: {max: 4}"
    )
    (env / "hpa.yaml").write_text(
        app + "  policies: [{name: old, type: topology, properties: {clusters: [old]}}]\n"
    )
    result = vessel("up", "-f", str(env / "hpa.yaml"))
    assert result.exit_code == 0, result.output
    hpa = yaml.safe_load((old / "default/horizontalpodautoscaler.autoscaling/api.yaml").read_text())
    assert hpa["apiVersion"] == "autoscaling/v2beta2"  # the hpa trait's choice below Kubernetes 1.23
