"""An addon enabled, or disabled, through one process is seen by every other long-running process on the
same store without restarting it: a second `vessel server` (an HA pair) accepts — and delivers — an
application using the addon's type once another server enabled it, and refuses a new one once it was
disabled; a controller loop (`vessel run`) builds its definitions again within one pass. Each process
compares a number the store bumps with every change of the enabled addons (`Controller.sync_definitions`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from addon_fixtures import ok, write_addon
from server_process import ServerProcess, admin_token, wait_for
from test_an_enabled_addons_definitions_deliver_applications import USER_APP
from vessel.addons import enable as addons
from vessel.addons.catalog import DIRECTORY
from vessel.controller.controller import Controller
from vessel.controller.reconcile_loop import ReconcileLoop
from vessel.definitions.definition import Kind
from vessel.definitions.files import load_text
from vessel.errors import VesselError
from vessel.model.application import Application
from vessel.store.addons import AddonStore
from vessel.store.store import Store

APPS = "/api/v1/applications"
ONE = "/api/v1/namespaces/default/applications/"
# The other server's definitions are at most DEFINITIONS_MAX_AGE (1 s) old; this bounds the wait for it
# with room for a loaded machine, and fails, as the bug did, if it never happens.
FOLLOWS_WITHIN_S = 10.0


def another(name: str) -> str:
    return USER_APP.replace("name: hello", f"name: {name}")


def renders(server: ServerProcess) -> int:
    """The status of a dry-run of an application using the addon's type: whether the server knows the type
    now, asked without storing anything (an apply refused or accepted says the same, but stores)."""
    return server.request("POST", "/api/v1/dry-run", USER_APP).status


def parsed(text: str) -> Application:
    return load_text(text, "app.yaml").applications[0]


@pytest.fixture
def pair(isolated_home: Path, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two servers on one SQLite store, with the `greetings` addon on offer. A's loop passes often (it
    delivers); B's passes once, at start, and not again during the test: B's API alone has to notice."""
    write_addon(tmp_path / "registry", "greetings", component="greeting")
    ok("target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default")
    ok("addon", "registry", "add", "team", "--path", str(tmp_path / "registry"))
    token = admin_token(isolated_home)
    with ExitStack() as stack:
        servers = []
        for interval in ("0.2", "3600"):
            server = ServerProcess(isolated_home, token)
            stack.callback(server.kill)
            servers.append(server.start("--interval", interval))
        yield servers[0], servers[1]


@pytest.mark.timeout(120)
def test_the_other_server_follows_an_addon_enabled_and_disabled_through_one(
    pair: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    a, b = pair
    refused = b.request("POST", APPS, USER_APP)  # B built its definitions before the addon existed
    assert refused.status == 422 and "greeting" in refused.json()["detail"], refused.body

    enabled = a.request("POST", "/api/v1/addons/greetings/enable", "{}", content_type="application/json")
    assert enabled.status == 202, enabled.body
    wait_for(lambda: renders(b) == 200, "B knows the addon's type", FOLLOWS_WITHIN_S)
    assert b.request("POST", APPS, USER_APP).status == 202
    wait_for(lambda: b.request("GET", f"{ONE}hello").json()["phase"] == "running", "hello running")
    written = tmp_path / "out/default/configmap.core/greeting.yaml"
    assert "bonjour" in written.read_text()

    assert b.request("DELETE", f"{ONE}hello").status in (200, 202)
    wait_for(lambda: b.request("GET", f"{ONE}hello").status == 404, "hello deleted")
    disabled = a.request("DELETE", "/api/v1/addons/greetings")
    assert disabled.status == 200 and json.loads(disabled.body) == {"disabled": True}, disabled.body
    wait_for(lambda: renders(b) == 422, "B forgets the disabled addon's type", FOLLOWS_WITHIN_S)
    refused = b.request("POST", APPS, another("later"))
    assert refused.status == 422 and "greeting" in refused.json()["detail"], refused.body
    assert b.request("GET", f"{ONE}later").status == 404  # refused: nothing of it stored


@pytest.mark.timeout(180)
def test_a_controller_loop_builds_its_definitions_again_within_one_pass(
    store_url: str, tmp_path: Path
) -> None:
    write_addon(tmp_path / "registry", "greetings", component="greeting")
    cli, running = Store.open(store_url), Store.open(store_url)  # a CLI, and a `vessel run`, on one store
    AddonStore(cli).add_registry("team", DIRECTORY, str(tmp_path / "registry"), 1.0)
    looping = Controller(running)
    loop = ReconcileLoop(looping, 0.1, lambda: False)
    try:
        assert looping.live_registry.find(Kind.COMPONENT, "greeting") is None  # built before the enable
        with pytest.raises(VesselError, match="greeting"):
            looping.submit(parsed(USER_APP))

        addons.commit(cli, addons.prepare(cli, "greetings", {}, 1.0))
        loop.run(once=True)
        assert looping.live_registry.find(Kind.COMPONENT, "greeting") is not None
        assert looping.submit(parsed(another("hello"))).revision == 1

        addons.disable(cli, "greetings")
        loop.run(once=True)
        assert looping.live_registry.find(Kind.COMPONENT, "greeting") is None
        with pytest.raises(VesselError, match="greeting"):
            looping.submit(parsed(another("later")))
    finally:
        looping.close()
        running.close()
        cli.close()
