"""SIGTERM stops `vessel server` cleanly: it exits 0 (not killed by the signal), within a bounded time,
and releases the lease it held on a run it was driving — here a run suspended for an hour, whose lease
the driver keeps to resume it when the time comes — so another process can take the run over at once
rather than after the lease time. A step in flight when SIGTERM arrives finishes and is recorded
before the server exits (so it never runs again), and no further step starts."""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.store.store import Store

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: paused
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.27
  workflow:
    steps:
      - name: wait-an-hour
        type: suspend
        properties:
          duration: 1h
      - name: web
        type: apply-component
        properties:
          component: web
"""


HOOKED = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: hooked
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.27
  workflow:
    steps:
      - name: notify
        type: webhook
        properties:
          url:
            value: URL
      - name: web
        type: apply-component
        properties:
          component: web
"""


def _lease_owner(run_id: int) -> str | None:
    store = Store.open()
    try:
        return store.run(run_id).lease_owner
    finally:
        store.close()


@pytest.mark.timeout(90)
def test_sigterm_exits_zero_and_releases_the_lease(isolated_home: Path) -> None:
    with_target(isolated_home, "mem", "memory")
    server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        applied = server.request("POST", "/api/v1/applications", APP)
        assert applied.status == 202, applied.body
        run_id = applied.json()["applications"][0]["run"]
        status = "/api/v1/namespaces/default/applications/paused"
        wait_for(lambda: server.request("GET", status).json()["phase"] == "workflowSuspending", "suspended")
        owner = _lease_owner(run_id)
        assert owner is not None  # a timed suspension keeps its driver's lease

        assert server.stop(timeout=20) == 0, server.log.read_text()
        assert _lease_owner(run_id) is None, f"{owner} still holds the lease after SIGTERM"
        assert "SIGTERM: stopping" in server.log.read_text()
    finally:
        server.kill()


class _HeldHook:
    """A webhook receiver that holds each call until told to answer, and counts the calls."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.answer = threading.Event()
        self.calls = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls += 1
                receiver.arrived.set()
                receiver.answer.wait(60)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/hook"


@pytest.mark.timeout(90)
def test_sigterm_lets_the_step_in_flight_finish_and_records_it(isolated_home: Path) -> None:
    hook = _HeldHook()
    with_target(isolated_home, "mem", "memory")
    server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        app = HOOKED.replace("URL", hook.url)
        applied = server.request("POST", "/api/v1/applications", app)
        assert applied.status == 202, applied.body
        run_id = applied.json()["applications"][0]["run"]
        assert hook.arrived.wait(30), "the webhook step never called"

        assert server.proc is not None
        server.proc.terminate()  # SIGTERM while the step is in flight
        with pytest.raises(subprocess.TimeoutExpired):
            server.proc.wait(1.0)  # it waits for the step (evidence: still running while the call is held)
        hook.answer.set()
        assert server.proc.wait(30) == 0, server.log.read_text()
    finally:
        hook.answer.set()
        server.kill()
        hook.http.shutdown()

    store = Store.open()
    try:
        steps = store.steps(run_id)
        run = store.run(run_id)
    finally:
        store.close()
    assert steps["notify"].phase == "succeeded"  # finished and recorded: never run again
    assert steps["web"].phase == "pending"  # the next step was not started
    assert run.lease_owner is None
    assert hook.calls == 1
