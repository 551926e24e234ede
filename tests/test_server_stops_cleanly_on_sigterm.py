"""SIGTERM stops `vessel server` cleanly: it exits 0 (not killed by the signal), within a bounded time,
and releases the lease it held on a run it was driving — here a run suspended for an hour, whose lease
the driver keeps to resume it when the time comes — so another process can take the run over at once
rather than after the lease time."""

from __future__ import annotations

from pathlib import Path

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
