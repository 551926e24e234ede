"""A real `vessel server` on 127.0.0.1 (SQLite store) delivers an Application applied through its API:
the apply answers 202 at once with the revision and run, the server's own controller loop drives the
run to `running` on a memory target and on a directory target (the manifest lands in the directory),
and GET returns the same status document `vessel status -o json` prints. Re-applying the same spec
creates no revision; delete removes the application and what it delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: web
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.27
        ports:
          - port: 80
"""
STATUS = "/api/v1/namespaces/default/applications/web"


@pytest.fixture(params=["memory", "directory"])
def target_type(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(target_type: str, isolated_home: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    out = tmp_path / "manifests"
    with_target(isolated_home, "here", target_type, {"path": str(out)} if target_type == "directory" else {})
    proc = ServerProcess(isolated_home, admin_token(isolated_home))
    proc.start("--interval", "0.2")
    yield proc
    proc.kill()


def _phase(server: ServerProcess) -> str:
    answer = server.request("GET", STATUS)
    return str(answer.json()["phase"]) if answer.status == 200 else ""


@pytest.mark.timeout(90)
def test_apply_answers_at_once_and_the_server_drives_it_to_running(
    server: ServerProcess, target_type: str, tmp_path: Path
) -> None:
    applied = server.request("POST", "/api/v1/applications", APP)
    assert applied.status == 202, applied.body
    (only,) = applied.json()["applications"]
    assert (only["name"], only["revision"], only["created"]) == ("web", 1, True)
    assert isinstance(only["run"], int)

    wait_for(lambda: _phase(server) == "running", "web running")
    doc = server.request("GET", STATUS).json()
    assert doc["workflow"]["phase"] == "succeeded"
    assert [s["component"] for s in doc["services"]] == ["web"]
    assert [(r["target"], r["kind"], r["name"]) for r in doc["resources"]] == [("here", "Deployment", "web")]
    assert doc["services"][0]["healthy"] is True
    if target_type == "directory":  # the manifest is really there
        assert any("kind: Deployment" in f.read_text() for f in (tmp_path / "manifests").rglob("*.yaml"))

    printed = CliRunner().invoke(cli, ["status", "web", "-o", "json"])
    assert printed.exit_code == 0, printed.output
    from_cli = json.loads(printed.stdout)
    if target_type == "memory":
        # A memory target lives in the server's process: the CLI's process cannot see it live.
        from_cli.pop("services"), doc.pop("services")
    assert from_cli == doc  # one document, whether asked from the API or the CLI

    again = server.request("POST", "/api/v1/applications", APP).json()["applications"][0]
    assert (again["revision"], again["created"], again["run"]) == (1, False, None)


@pytest.mark.timeout(90)
def test_delete_removes_the_application(server: ServerProcess) -> None:
    assert server.request("POST", "/api/v1/applications", APP).status == 202
    wait_for(lambda: _phase(server) == "running", "web running")
    gone = server.request("DELETE", STATUS)
    assert gone.status in (200, 202), gone.body
    wait_for(lambda: server.request("GET", STATUS).status == 404, "web gone")
    assert server.request("GET", "/api/v1/applications").json()["items"] == []
