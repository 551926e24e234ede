"""`vessel login URL --token-stdin` checks the token against the server, keeps it in the user's config
file — readable by the user alone (0600, in a 0700 directory) — and never prints it; from then on the
application commands go through the server, until `vessel logout`. A token the server refuses is not
kept, and a redirect is not followed with it. Real `vessel` processes, as from a shell, against a real
server.
"""

from __future__ import annotations

import http.server
import json
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from project_fixtures import started
from server_process import ServerProcess, admin_token, client_env, run_vessel, with_target
from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - {name: shop, type: webservice, properties: {image: "shop:1"}}
"""


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    with_target(isolated_home, "mem", "memory")
    with started(isolated_home, admin_token(isolated_home)) as proc:
        assert proc.request("POST", "/api/v1/applications", APP).status == 202
        yield proc


def vessel(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`vessel ARGS` with its own VESSEL_HOME (not the server's) and no server in its environment."""
    return run_vessel({**client_env(home), "COLUMNS": "200"}, *args, stdin=stdin)


@pytest.mark.timeout(120)
def test_login_keeps_the_token_for_the_user_alone_and_never_prints_it(
    server: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "client-home"
    assert "shop" not in vessel(home, "ls").stdout  # embedded: this machine's store has no shop

    done = vessel(home, "login", server.url, "--token-stdin", stdin=server.token + "\n")
    assert done.returncode == 0, done.stderr
    assert server.token not in done.stdout + done.stderr
    config = home / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert json.loads(config.read_text()) == {"server": server.url, "token": server.token}
    assert not [p.name for p in home.iterdir() if p.name.startswith(".config.json")]  # no temporary left

    listed = vessel(home, "ls")  # through the server now
    assert listed.returncode == 0, listed.stderr
    assert "shop" in listed.stdout
    assert server.token not in listed.stdout + listed.stderr

    out = vessel(home, "logout")
    assert out.returncode == 0 and f"logged out of {server.url}" in out.stdout
    assert not config.exists()
    assert "shop" not in vessel(home, "ls").stdout  # embedded again


@pytest.mark.timeout(120)
def test_a_token_the_server_refuses_is_not_kept(server: ServerProcess, tmp_path: Path) -> None:
    home = tmp_path / "client-home"
    done = vessel(home, "login", server.url + "/", "--token-stdin", stdin="vsl_not-a-real-token\n")
    assert done.returncode == 1
    assert "error: the token is not valid (unknown, expired or revoked)" in done.stderr
    assert "vsl_not-a-real-token" not in done.stdout + done.stderr
    assert not (home / "config.json").exists()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 404 and keeps the Authorization header of each request it gets."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _redirecting_to(where: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", where + self.path)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Redirect


@pytest.mark.timeout(60)
def test_a_redirect_is_not_followed_with_the_token(tmp_path: Path) -> None:
    elsewhere = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    redirecting = http.server.HTTPServer(
        ("127.0.0.1", 0), _redirecting_to(f"http://127.0.0.1:{elsewhere.server_port}")
    )
    for server in (elsewhere, redirecting):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {"VESSEL_SERVER": f"http://127.0.0.1:{redirecting.server_port}", "VESSEL_TOKEN": "vsl_1.secret"}
        result = CliRunner().invoke(cli, ["ls"], env=env)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ")
        assert _Recorder.seen == []  # the token went nowhere else
    finally:
        for server in (elsewhere, redirecting):
            server.shutdown()
            server.server_close()
