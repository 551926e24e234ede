"""Two `vessel server` processes share one PostgreSQL store: either serves the API for what the other
delivers, exactly one drives a given run (the run's lease), and when that one is SIGKILLed the other
takes its run over once the lease expires — found from the store, on evidence, not on a timer."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.store.store import Store

LEASE = "2"  # seconds: VESSEL_LEASE_SECONDS of both servers
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: held}
spec:
  components:
    - {name: held, type: webservice, properties: {image: "nginx:1"}}
  workflow:
    steps:
      - {name: wait-an-hour, type: suspend, properties: {duration: 1h}}
      - {name: held, type: apply-component, properties: {component: held}}
"""


def _lease_owner(url: str, run_id: int) -> str | None:
    store = Store.open(url)
    try:
        return store.run(run_id).lease_owner
    finally:
        store.close()


@pytest.mark.timeout(120)
def test_the_other_server_takes_over_a_killed_servers_run(postgres_url: str, tmp_path: Path) -> None:
    with_target(tmp_path, "mem", "memory", url=postgres_url)
    token = admin_token(tmp_path, postgres_url)
    env = {"VESSEL_DATABASE_URL": postgres_url, "VESSEL_LEASE_SECONDS": LEASE}
    servers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(ServerProcess(tmp_path / name, token, env=env).start("--interval", "0.2"))
        a, b = servers
        applied = a.request("POST", "/api/v1/applications", APP)
        assert applied.status == 202, applied.body
        run_id = applied.json()["applications"][0]["run"]
        status = "/api/v1/namespaces/default/applications/held"
        suspended = "workflowSuspending"
        wait_for(lambda: b.request("GET", status).json()["phase"] == suspended, "suspended, as b sees it")

        owners = {f"{socket.gethostname()}-{s.proc.pid}": s for s in servers if s.proc is not None}
        holder_name = wait_for(lambda: _lease_owner(postgres_url, run_id), "a server holds the lease")
        assert holder_name in owners, (holder_name, list(owners))
        holder = owners[holder_name]
        survivor = b if holder is a else a
        holder.kill()  # SIGKILL: no lease released

        taken = wait_for(
            lambda: (o := _lease_owner(postgres_url, run_id)) not in (None, holder_name) and o,
            "the survivor takes the run over",
            deadline_s=30,
        )
        assert owners[taken] is survivor
        assert survivor.request("GET", status).json()["phase"] == suspended
    finally:
        for server in servers:
            server.kill()
