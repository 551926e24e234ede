"""Revisions, a revision's manifests, targets, definitions and drift read through the API are the
documents the CLI prints with `-o json` (`vessel revision list`, `vessel revision show N`, `vessel
target list`, `vessel def list`, `vessel def show`, `vessel diff`), for an application a real server
delivered to a directory target (which the CLI's process sees as the server does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: web}}
spec:
  components:
    - {{name: web, type: webservice, properties: {{image: "nginx:{tag}", ports: [{{port: 80}}]}}}}
"""
BASE = "/api/v1/namespaces/default/applications/web"


def _cli_json(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code in (0, 1), result.output  # diff exits 1 when something differs
    return json.loads(result.stdout)


@pytest.mark.timeout(90)
def test_revisions_manifests_and_diff_match_the_cli(isolated_home: Path, tmp_path: Path) -> None:
    with_target(isolated_home, "out", "directory", {"path": str(tmp_path / "out")})
    server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        for revision, tag in ((1, "1.26"), (2, "1.27")):
            assert server.request("POST", "/api/v1/applications", APP.format(tag=tag)).status == 202
            wait_for(
                lambda r=revision: (
                    (d := server.request("GET", BASE).json())["revision"] == r  # type: ignore[misc]
                    and d["phase"] == "running"
                ),
                f"revision {revision} running",
            )
        revisions = server.request("GET", BASE + "/revisions").json()
        assert [(r["revision"], r["current"]) for r in revisions] == [(1, False), (2, True)]
        assert revisions == _cli_json("revision", "list", "web", "-o", "json")

        manifests = server.request("GET", BASE + "/revisions/1/manifests").json()
        assert [i["spec"]["template"]["spec"]["containers"][0]["image"] for i in manifests["items"]] == [
            "nginx:1.26"
        ]
        sources = manifests.pop("sources")  # where each item came from: what the YAML view heads it with
        assert [s["component"] for s in sources] == ["web"]
        assert manifests == _cli_json("revision", "show", "web", "1", "-o", "json")
        assert server.request("GET", BASE + "/revisions/9/manifests").status == 404

        targets = server.request("GET", "/api/v1/targets").json()
        assert sorted((t["name"], t["default"], t["reachable"]) for t in targets) == [
            ("local", False, True),
            ("out", True, True),
        ]
        assert targets == _cli_json("target", "list", "-o", "json")

        listed = server.request("GET", "/api/v1/definitions").json()
        assert {"webservice", "scaler", "topology", "deploy"} <= {d["name"] for d in listed}
        assert listed == _cli_json("def", "list", "-o", "json")
        shown = server.request("GET", "/api/v1/definitions/webservice").json()
        assert shown["schema"]["properties"]["image"]["type"] == "string"
        assert shown == _cli_json("def", "show", "webservice", "-o", "json")
        assert server.request("GET", "/api/v1/definitions/no-such-thing").status == 404

        drift = server.request("GET", BASE + "/diff").json()
        assert [d["state"] for d in drift] == ["unchanged"]
        assert drift == _cli_json("diff", "web", "-o", "json")
    finally:
        server.kill()
