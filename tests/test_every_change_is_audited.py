"""Every change goes to the audit log — who, what, on what, when, how it ended: through the API (an
apply, a refused apply, an operation, a delete, a request with a bad token) and account changes from
the CLI (server init, user add, token create and revoke). Reads are not logged. Only admins may read
the log through the API (`GET /api/v1/audit`); `vessel audit -o json` prints the same document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, wait_for, with_target
from vessel.launcher import app as vessel

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web}
spec:
  components:
    - {name: web, type: webservice, properties: {image: "nginx:1"}}
"""
STATUS = "/api/v1/namespaces/default/applications/web"
ROUTE = "/api/v1/namespaces/{namespace}/applications/{name}"  # as the log names it


def _cli(*args: str) -> str:
    result = CliRunner().invoke(vessel, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.timeout(90)
def test_changes_are_recorded_with_who_what_and_outcome(isolated_home: Path) -> None:
    with_target(isolated_home, "mem", "memory")
    token = _cli("server", "init", "--user", "root").strip()
    _cli("user", "add", "dev")
    dev_token = _cli("token", "create", "--user", "dev").strip()
    server = ServerProcess(isolated_home, token).start("--interval", "0.2")
    try:
        assert server.request("POST", "/api/v1/applications", APP).status == 202
        assert server.request("POST", "/api/v1/applications", "kind: Nonsense\n").status == 422
        wait_for(lambda: server.request("GET", STATUS).json()["phase"] == "running", "web running")
        assert server.request("POST", STATUS + "/workflow/restart").status == 202
        assert server.request("POST", "/api/v1/dry-run", APP).status == 200  # changes nothing
        assert server.request("DELETE", STATUS, token="vsl_bad.token").status == 401
        assert server.request("DELETE", STATUS).status in (200, 202)
        _cli("token", "revoke", dev_token.removeprefix("vsl_").split(".")[0])

        logged = server.request("GET", "/api/v1/audit")
        assert logged.status == 200, logged.body
        entries = logged.json()
        assert json.loads(_cli("audit", "-o", "json")) == entries[-50:]
    finally:
        server.kill()

    rows = [(e["actor"], e["action"], e["object"], e["outcome"]) for e in entries]
    local = rows[0][0]
    assert local.startswith("local:")
    assert rows == [
        (local, "server init", "root", "ok"),
        (local, "token create", rows[1][2], "ok"),
        (local, "user add", "dev", "ok"),
        (local, "token create", rows[3][2], "ok"),
        ("root", "POST /api/v1/applications", "default/web@1", "202"),
        ("root", "POST /api/v1/applications", "", "422"),
        (
            "root",
            "POST /api/v1/namespaces/{namespace}/applications/{name}/workflow/restart",
            "default/web",
            "202",
        ),
        ("-", "DELETE /api/v1/namespaces/{namespace}/applications/{name}", "default/web", "401"),
        ("root", "DELETE /api/v1/namespaces/{namespace}/applications/{name}", "default/web", rows[8][3]),
        (local, "token revoke", rows[3][2].split()[0], "ok"),
    ]
    assert rows[8][3] in ("200", "202")
    assert rows[1][2].endswith("(root)") and rows[3][2].endswith("(dev)")


def test_only_admins_read_the_log(isolated_home: Path) -> None:
    token = _cli("server", "init", "--user", "root").strip()
    _cli("user", "add", "dev")
    dev_token = _cli("token", "create", "--user", "dev").strip()
    server = ServerProcess(isolated_home, token).start()
    try:
        refused = server.request("GET", "/api/v1/audit", token=dev_token)
        assert refused.status == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert server.request("GET", "/api/v1/audit").status == 200
        assert server.request("GET", "/api/v1/applications", token=dev_token).status == 200
    finally:
        server.kill()
