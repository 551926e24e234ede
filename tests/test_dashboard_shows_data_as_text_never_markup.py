"""Whatever an application carries — a property value, a message quoting it — the dashboard shows as text:
markup in it is escaped, never run (Jinja2's autoescaping, always on)."""

from __future__ import annotations

from pathlib import Path

from project_fixtures import app_yaml, prepare
from server_process import ServerProcess

HOSTILE = "<script>alert(1)</script>"


def test_markup_in_an_application_is_shown_escaped(isolated_home: Path) -> None:
    tokens = prepare(isolated_home)
    server = ServerProcess(isolated_home, tokens["admin"]).start("--interval", "0.2")
    try:
        hostile = app_yaml("shady", target="mem").replace("image: 'nginx:1'", f"image: '{HOSTILE}'")
        assert server.request("POST", "/api/v1/applications", hostile).status == 202
        for path in ("/applications/team/shady/revisions", "/applications?q=shady"):
            page = server.request("GET", path).body.decode()
            assert "<script>alert" not in page
        shown = server.request("GET", "/applications/team/shady/revisions").body.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    finally:
        server.kill()
