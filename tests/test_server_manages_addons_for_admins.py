"""Addons through the API of a real server process: anyone with a token lists them, shows one and reads
their status; admins enable (202: stored, its Application handed to the server's loop, which delivers
it), upgrade and disable them — and the server accepts an application using the addon's type at once.
A parameter the addon refuses is 422 naming it with nothing enabled; disabling while an application
uses the addon is 409 naming it; a non-admin's change is 403."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from addon_fixtures import APPLICATION, BANNER_PARAMETERS, ok, write_addon
from project_fixtures import started
from server_process import ServerProcess, admin_token, wait_for
from test_an_enabled_addons_definitions_deliver_applications import USER_APP
from vessel.cli.main import app as cli

pytestmark = pytest.mark.timeout(120)
USER_STATUS = "/api/v1/namespaces/default/applications/hello"


@pytest.fixture
def server(isolated_home: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    registry = tmp_path / "registry"
    write_addon(registry, "greetings", "1.0.0", component="greeting", per_version=True)
    write_addon(registry, "greetings", "1.1.0", component="greeting", per_version=True)
    application = APPLICATION.format(component="greeting")
    deps = (("greetings", "^1.0"),)
    write_addon(registry, "banner", dependencies=deps, parameters=BANNER_PARAMETERS, application=application)
    ok("target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default")
    ok("addon", "registry", "add", "team", "--path", str(registry))
    with started(isolated_home, admin_token(isolated_home)) as proc:
        yield proc


def post(server: ServerProcess, path: str, doc: object, token: str = "default") -> tuple[int, Any]:
    answer = server.request("POST", path, json.dumps(doc), token=token, content_type="application/json")
    return answer.status, answer.json()


def status(server: ServerProcess) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in server.request("GET", "/api/v1/addon-status").json()}


def test_admins_enable_upgrade_and_disable_an_addon(server: ServerProcess, tmp_path: Path) -> None:
    listed = {a["name"]: a for a in server.request("GET", "/api/v1/addons").json()}
    assert listed["greetings"]["versions"] == ["1.1.0", "1.0.0"] and listed["greetings"]["enabled"] is None
    shown = server.request("GET", "/api/v1/addons/banner").json()
    assert [p["name"] for p in shown["parameters"]] == ["banner"]

    code, answer = post(server, "/api/v1/addons/banner/enable", {"set": {"banner": "howdy"}})
    assert code == 202, answer
    assert answer == {
        "addons": [{"name": "greetings", "version": "1.1.0"}, {"name": "banner", "version": "1.0.0"}],
        "applications": ["vessel-system/addon-banner"],
    }
    wait_for(lambda: status(server)["banner"]["phase"] == "running", "addon-banner delivered by the loop")
    written = (tmp_path / "out/vessel-system/configmap.core/banner.yaml").read_text()
    assert "howdy" in written

    # The server accepts an application using the addon's type at once.
    assert server.request("POST", "/api/v1/applications", USER_APP).status == 202
    wait_for(lambda: server.request("GET", USER_STATUS).json()["phase"] == "running", "hello running")

    held = server.request("DELETE", "/api/v1/addons/greetings")
    assert held.status == 409 and "needed by banner@1.0.0" in held.json()["detail"]

    code, answer = post(server, "/api/v1/addons/greetings/upgrade", {"version": "1.0.0"})
    assert code == 409 and "down to 1.0.0" in answer["detail"]
    code, answer = post(server, "/api/v1/addons/banner/upgrade", {"set": {"banner": "hello"}})
    assert code == 202, answer
    assert status(server)["banner"]["parameters"] == {"banner": "hello"}

    assert server.request("DELETE", "/api/v1/addons/banner").status in (200, 202)
    wait_for(lambda: "banner" not in status(server) or _disable(server, "banner"), "banner disabled")
    assert "banner" not in status(server)
    held = server.request("DELETE", "/api/v1/addons/greetings")
    assert held.status == 409 and "applications default/hello" in held.json()["detail"]


def _disable(server: ServerProcess, name: str) -> bool:
    return server.request("DELETE", f"/api/v1/addons/{name}").status == 200


def test_a_parameter_the_addon_refuses_is_422_and_nothing_is_enabled(server: ServerProcess) -> None:
    code, problem = post(server, "/api/v1/addons/banner/enable", {"set": {"banner": 3}})
    assert code == 422, problem
    assert "banner" in json.dumps(problem)
    assert status(server) == {}


def test_others_may_read_but_not_change(server: ServerProcess) -> None:
    ok("user", "add", "dev")
    dev = CliRunner().invoke(cli, ["token", "create", "--user", "dev"]).stdout.strip()
    assert server.request("GET", "/api/v1/addons", token=dev).status == 200
    assert server.request("GET", "/api/v1/addon-status", token=dev).status == 200
    assert post(server, "/api/v1/addons/greetings/enable", {}, token=dev)[0] == 403
    assert post(server, "/api/v1/addons/greetings/upgrade", {}, token=dev)[0] == 403
    assert server.request("DELETE", "/api/v1/addons/greetings", token=dev).status == 403
    assert status(server) == {}
