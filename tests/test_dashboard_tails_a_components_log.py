"""The dashboard's log page shows the last lines a component's processes wrote — read from the target as
`vessel logs` reads them — prefixed with the instance, and says why when there are none."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, wait_for

TALKER = "import time; print('hello from talker', flush=True); time.sleep(600)"


def _app(name: str) -> str:
    cmd = json.dumps([sys.executable, "-c", TALKER])
    return (
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        f"metadata: {{name: {name}, namespace: default}}\n"
        "spec:\n  components:\n"
        f"    - {{name: talker, type: webservice, properties: {{image: unused, cmd: {cmd}}}}}\n"
    )


@pytest.mark.timeout(90)
def test_the_log_page_shows_what_the_components_processes_wrote(isolated_home: Path) -> None:
    server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        assert server.request("POST", "/api/v1/applications", _app("chatty")).status == 202
        page = "/applications/default/chatty/logs?component=talker&tail=50"
        shown = wait_for(
            lambda: (
                (a := server.request("GET", page)).status == 200
                and "hello from talker" in (text := a.body.decode())
                and text
            ),
            "the talker's line on its log page",
        )
        assert "talker-0 |" in shown  # which instance wrote it
        missing = server.request("GET", "/applications/default/chatty/logs?component=nothing")
        assert missing.status == 200 and "no running workload for component" in missing.body.decode()
    finally:
        wait_for(
            lambda: (
                server.request("DELETE", "/api/v1/namespaces/default/applications/chatty").status
                in (200, 404)
            ),
            "chatty deleted, its process stopped",
        )
        server.stop()
