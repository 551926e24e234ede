"""Targets through the API: admins add one (settings checked per type before anything is stored; a bad
one is 422 naming the field), make it the default, and remove it — refused with 409 while an
application holds resources there; others may list but not change them (403). Each change is in the
audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, wait_for
from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web}
spec:
  components:
    - {name: web, type: webservice, properties: {image: "nginx:1"}}
"""


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        yield proc
    finally:
        proc.kill()


def _post(server: ServerProcess, doc: object, token: str = "default") -> tuple[int, object]:
    answer = server.request(
        "POST", "/api/v1/targets", json.dumps(doc), token=token, content_type="application/json"
    )
    return answer.status, answer.json()


@pytest.mark.timeout(90)
def test_admins_add_set_default_and_remove(server: ServerProcess, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    status, row = _post(server, {"name": "out", "type": "directory", "config": {"path": out}})
    assert status == 201, row
    assert isinstance(row, dict) and (row["name"], row["reachable"], row["default"]) == ("out", True, False)

    status, problem = _post(server, {"name": "bad", "type": "directory", "config": {"colour": "blue"}})
    assert status == 422, problem
    status, problem = _post(server, {"name": "x", "type": "memory", "wat": 1})
    assert status == 422 and isinstance(problem, dict)
    assert [p["path"] for p in problem["problems"]] == ["body.wat"]
    assert sorted(t["name"] for t in server.request("GET", "/api/v1/targets").json()) == ["local", "out"]

    made = server.request("PUT", "/api/v1/targets/out/default")
    assert made.status == 200 and made.json() == {"default": "out", "previous": "local"}
    assert server.request("POST", "/api/v1/applications", APP).status == 202
    status_path = "/api/v1/namespaces/default/applications/web"
    wait_for(lambda: server.request("GET", status_path).json()["phase"] == "running", "web running on out")

    held = server.request("DELETE", "/api/v1/targets/out")
    assert held.status == 409 and "default/web" in held.json()["detail"]
    assert server.request("DELETE", status_path).status in (200, 202)
    wait_for(lambda: server.request("GET", status_path).status == 404, "web deleted")
    removed = server.request("DELETE", "/api/v1/targets/out")
    assert removed.status == 200
    assert removed.json() == {"removed": "out", "default": "local", "wasDefault": True}

    actions = [(e["action"], e["outcome"]) for e in server.request("GET", "/api/v1/audit").json()]
    assert ("POST /api/v1/targets", "201") in actions
    assert ("DELETE /api/v1/targets/{name}", "409") in actions


def test_others_may_list_but_not_change(server: ServerProcess) -> None:
    assert CliRunner().invoke(cli, ["user", "add", "dev"]).exit_code == 0
    dev = CliRunner().invoke(cli, ["token", "create", "--user", "dev"]).stdout.strip()
    assert server.request("GET", "/api/v1/targets", token=dev).status == 200
    status, _ = _post(server, {"name": "mem", "type": "memory"}, token=dev)
    assert status == 403
    assert server.request("PUT", "/api/v1/targets/local/default", token=dev).status == 403
    assert server.request("DELETE", "/api/v1/targets/local", token=dev).status == 403
