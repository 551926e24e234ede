"""The dashboard never shows a secret: a Secret written in an application has its values masked on the
revisions page (keys stay visible), and a value known to be secret is masked wherever a page quotes it,
as every read path of the CLI and the API masks them."""

from __future__ import annotations

from pathlib import Path

from project_fixtures import prepare
from server_process import ServerProcess, wait_for

PASSWORD = "correct-horse-battery-staple"
APP = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: vault, namespace: team}}
spec:
  components:
    - name: creds
      type: k8s-objects
      properties:
        objects:
          - apiVersion: v1
            kind: Secret
            metadata: {{name: creds}}
            stringData: {{password: {PASSWORD}}}
  workflow:
    steps:
      - {{name: go, type: apply-component, properties: {{component: creds, cluster: mem}}}}
"""


def test_no_page_shows_a_secrets_value(isolated_home: Path) -> None:
    tokens = prepare(isolated_home)
    server = ServerProcess(isolated_home, tokens["admin"]).start("--interval", "0.2")
    try:
        assert server.request("POST", "/api/v1/applications", APP).status == 202
        wait_for(
            lambda: (
                server.request("GET", "/api/v1/namespaces/team/applications/vault").json()["phase"]
                == "running"
            ),
            "vault delivered",
        )
        revisions = server.request("GET", "/applications/team/vault/revisions").body.decode()
        assert "password" in revisions  # the key is shown, its value is not
        for path in ("/applications/team/vault/revisions", "/applications/team/vault", "/"):
            assert PASSWORD not in server.request("GET", path).body.decode(), path
    finally:
        server.kill()
