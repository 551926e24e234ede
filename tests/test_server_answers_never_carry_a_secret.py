"""No API answer carries a secret value the server knows, whatever field quotes it: every JSON answer
goes through `redaction.redact_data`, as everything the CLI prints does. Here a step message recorded
before the server knew the value (so stored as written) is masked in the status document and in the
events once the server has delivered a Secret holding it. A dry-run answer is the caller's own input
rendered and is returned as it renders, as `vessel dry-run` prints it."""

from __future__ import annotations

from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.store.store import Store

VALUE = "correct-horse-battery-staple-0451"
TELLS = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: tells}}
spec:
  components:
    - {{name: tells, type: webservice, properties: {{image: "nginx:1"}}}}
  workflow:
    steps:
      - {{name: say, type: print-message-in-status, properties: {{message: "the word is {VALUE}"}}}}
"""
KEEPS = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: keeps}}
spec:
  components:
    - name: keeps
      type: k8s-objects
      properties:
        objects:
          - {{apiVersion: v1, kind: Secret, metadata: {{name: db}}, stringData: {{password: "{VALUE}"}}}}
"""


def _stored_messages() -> str:
    store = Store.open()
    try:
        app = store.app("default", "tells")
        assert app is not None
        run = store.latest_run(app.id)
        assert run is not None
        return " ".join(s.message for s in store.steps(run.id).values())
    finally:
        store.close()


@pytest.mark.timeout(90)
def test_status_and_events_mask_what_the_server_learnt_later(isolated_home: Path) -> None:
    with_target(isolated_home, "mem", "memory")
    server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        status = "/api/v1/namespaces/default/applications/{}"
        assert server.request("POST", "/api/v1/applications", TELLS).status == 202
        wait_for(lambda: server.request("GET", status.format("tells")).json()["phase"] == "running", "tells")
        assert VALUE in _stored_messages()  # recorded before the server knew it was a secret
        assert VALUE in server.request("GET", status.format("tells")).body.decode()

        assert server.request("POST", "/api/v1/applications", KEEPS).status == 202
        wait_for(lambda: server.request("GET", status.format("keeps")).json()["phase"] == "running", "keeps")
        answers = [
            server.request("GET", status.format("tells")).body.decode(),
            server.request("GET", status.format("tells") + "/events").body.decode(),
            server.request("GET", status.format("keeps")).body.decode(),
        ]
        assert all(VALUE not in a for a in answers), answers
        assert "the word is ***" in answers[0]

        rendered = server.request("POST", "/api/v1/dry-run", KEEPS).json()
        assert rendered["items"][0]["stringData"] == {"password": VALUE}
    finally:
        server.kill()
