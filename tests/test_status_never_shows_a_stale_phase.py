"""`vessel status` shows the true phase after `workflow terminate`, after a timed suspension runs out and
after `vessel up` is stopped — never a stale "suspended, resume with …" that `resume` then refuses, nor
a workflow "running" that nothing runs. Ctrl-C (and SIGTERM) of a real `vessel up` while a webhook step
is provably in flight releases its lease, says how to continue and exits 130 without a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli
from vessel.controller.controller import Controller
from vessel.controller.status import status_of
from vessel.store.store import Store
from vessel.testing.engine import Harness

APPROVAL = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - {name: api, type: webservice, properties: {image: "shop/api:1"}}
  workflow:
    steps:
      - {name: approve, type: suspend}
      - {name: api, type: apply-component, properties: {component: api}}
"""
TIMED = APPROVAL.replace(
    "{name: approve, type: suspend}", "{name: wait, type: suspend, properties: {duration: 30s}}"
)
runner = CliRunner()


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


def status(name: str = "shop") -> dict[str, Any]:
    shown = vessel("status", name, "-o", "json")
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    added = vessel(
        "target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"
    )
    assert added.exit_code == 0, added.output
    return tmp_path


# --- terminate ------------------------------------------------------------------------------------


def test_after_terminate_status_and_ls_show_terminated_as_resume_does(home: Path) -> None:
    (home / "app.yaml").write_text(APPROVAL)
    assert vessel("up", "-f", str(home / "app.yaml")).exit_code == 0
    assert status()["phase"] == "workflowSuspending"

    assert vessel("workflow", "terminate", "shop").exit_code == 0
    doc = status()
    assert (doc["phase"], doc["message"]) == ("workflowTerminated", "terminated by the user")
    [listed] = json.loads(vessel("ls", "-o", "json").stdout)
    assert (listed["phase"], listed["message"]) == ("workflowTerminated", "terminated by the user")
    refused = vessel("workflow", "resume", "shop")
    assert refused.exit_code == 1 and "its workflow is not running (terminated)" in refused.stderr


# --- a timed suspension ---------------------------------------------------------------------------


def test_up_that_stops_waiting_for_a_timed_suspension_says_nothing_will_resume_it(home: Path) -> None:
    (home / "app.yaml").write_text(TIMED)
    up = vessel("up", "-f", str(home / "app.yaml"), "--timeout", "1s")
    assert up.exit_code == 0, up.output
    assert "shop is suspended: suspended for 30s, until " in up.stdout
    assert "nothing will resume it then" in up.stdout and "resume with" not in up.stdout
    doc = status()
    assert doc["phase"] == "workflowSuspending" and "nothing will resume it then" in doc["message"]


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def shown(h: Harness, viewer: Controller) -> tuple[str, str, str | None]:
    doc = status_of(viewer, h.record("shop"))
    return doc["phase"], doc["message"], doc["workflow"]["driver"]


def test_a_timed_suspension_nobody_drives_says_so_and_is_interrupted_once_over(h: Harness) -> None:
    h.controller.drive(h.submit(TIMED), timeout=5)  # `up --timeout 5s`: it stops driving mid-suspension
    viewer = Controller(h.store, clock=h.clock, registry=h.registry, owner="viewer")
    phase, message, driver = shown(h, viewer)
    assert (phase, driver) == ("workflowSuspending", None)
    assert message.startswith("suspended for 30s, until ") and "nothing will resume it then" in message

    h.clock.advance(30)
    phase, message, driver = shown(h, viewer)
    assert phase == "runningWorkflow" and driver is None
    assert message.startswith("interrupted: the suspension ended at ")
    assert message.endswith("continue with `vessel up` or `vessel run`")

    h.controller.reconcile(h.record("shop"))  # `vessel up` or `vessel run` again: it goes on
    assert shown(h, viewer) == ("running", "", None)


def test_a_timed_suspension_driven_by_the_loop_shows_its_driver_then_runs_again(h: Harness) -> None:
    loop = Controller(h.store, clock=h.clock, registry=h.registry, owner="vessel-run")
    loop.reconcile(h.submit(TIMED))
    h.clock.advance(10)
    loop.reconcile(h.record("shop"))  # a pass of `vessel run` during the suspension
    viewer = Controller(h.store, clock=h.clock, registry=h.registry, owner="viewer")
    assert shown(h, viewer) == ("workflowSuspending", "suspended for 30s", "vessel-run")
    h.clock.advance(20)
    loop.reconcile(h.record("shop"))
    assert shown(h, viewer) == ("running", "", None)


# --- stopping `vessel up` -------------------------------------------------------------------------

HOOKED = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - {{name: api, type: webservice, properties: {{image: "shop/api:1"}}}}
  workflow:
    steps:
      - {{name: hook, type: webhook, properties: {{url: {{value: "{url}/hook"}}}}}}
      - {{name: api, type: apply-component, properties: {{component: api}}}}
"""


class Receiver:
    """A webhook receiver that holds each call until the test releases it."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived.set()
                receiver.release.wait(timeout=60)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    r = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), r.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield r, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        r.release.set()
        server.shutdown()
        server.server_close()


def lease_owner(home: Path) -> str | None:
    store = Store.open(f"sqlite:///{home / 'home' / 'vessel.db'}")
    try:
        app = store.app("default", "shop")
        assert app is not None
        run = store.latest_run(app.id)
        assert run is not None
        return run.lease_owner
    finally:
        store.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_up_mid_step_releases_its_lease_says_how_to_continue_and_exits_130(
    home: Path, receiver: tuple[Receiver, str], stop: signal.Signals
) -> None:
    r, url = receiver
    (home / "app.yaml").write_text(HOOKED.format(url=url))
    env = {**os.environ, "VESSEL_HOME": str(home / "home")}
    up = subprocess.Popen(
        [sys.executable, "-m", "vessel", "up", "-f", str(home / "app.yaml")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert r.arrived.wait(timeout=60), "the webhook step never started"
        up.send_signal(stop)  # the step is in flight: its call is held by the receiver
        stdout, stderr = up.communicate(timeout=60)
    finally:
        up.kill()
    assert up.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and f"{stop.name}: stopped driving" in stderr
    assert "shop: interrupted: nothing drives the workflow (step hook was in progress)" in stderr
    assert f"continue with: vessel up -f {home / 'app.yaml'}" in stderr
    assert lease_owner(home) is None  # released at once, not left to expire

    doc = status()
    assert doc["phase"] == "runningWorkflow" and doc["workflow"]["driver"] is None
    assert doc["message"] == (
        "interrupted: nothing drives the workflow (step hook was in progress): "
        "continue with `vessel up` or `vessel run`"
    )

    r.release.set()
    again = vessel("up", "-f", str(home / "app.yaml"))
    assert again.exit_code == 0, again.output
    assert status()["phase"] == "running"


@pytest.mark.timeout(120)
def test_a_killed_up_is_shown_as_interrupted_at_once(home: Path, receiver: tuple[Receiver, str]) -> None:
    r, url = receiver
    (home / "app.yaml").write_text(HOOKED.format(url=url))
    env = {**os.environ, "VESSEL_HOME": str(home / "home")}
    up = subprocess.Popen(
        [sys.executable, "-m", "vessel", "up", "-f", str(home / "app.yaml")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert r.arrived.wait(timeout=60), "the webhook step never started"
        assert status()["workflow"]["driver"] is not None  # while it lives, it drives
    finally:
        up.kill()
        up.wait(timeout=60)
    assert lease_owner(home) is not None  # a killed process cannot release its lease…
    doc = status()  # …but it is gone, and status says so without waiting for the lease to expire
    assert doc["phase"] == "runningWorkflow" and doc["workflow"]["driver"] is None
    assert doc["message"].startswith("interrupted: nothing drives the workflow (step hook was in progress)")
