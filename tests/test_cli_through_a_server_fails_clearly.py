"""Through a server, what goes wrong is one clear error with the exit code embedded mode would give: a
token the server refuses (exit 1, as every refusal), a role too weak — a viewer's `workflow resume` —
with the server's own message (exit 1), a server that refuses connections or never answers (exit 2,
as a store that cannot be opened, within VESSEL_REQUEST_TIMEOUT), and a command given this machine's
definitions (`vessel def render --definitions DIR`) saying so rather than answering for other
definitions than the server's; a command that works on this machine's store (`vessel user add`) says
it does not ask the server. A remote command loads nothing of the store or the engine.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from project_fixtures import app_yaml, prepare, started
from server_process import ServerProcess, client_env, free_port, run_vessel, wait_for
from vessel.cli.main import app as cli


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A server whose project `team` holds `gated`, suspended for approval; a token per role."""
    home = tmp_path_factory.mktemp("team")
    tokens = prepare(home)
    with started(home, tokens["admin"]) as server:
        assert server.request("POST", "/api/v1/applications", app_yaml("gated", gate=True)).status == 202
        status = "/api/v1/namespaces/team/applications/gated"
        wait_for(lambda: server.request("GET", status).json()["phase"] == "workflowSuspending", "suspended")
        yield server, tokens


def through(url: str, token: str, *args: str) -> tuple[int, str, str]:
    env = {"VESSEL_SERVER": url, "VESSEL_TOKEN": token, "COLUMNS": "200"}
    result = CliRunner().invoke(cli, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.timeout(60)
def test_a_viewer_may_not_approve_and_is_told_so_by_the_server(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    code, _, err = through(server.url, tokens["viewer"], "workflow", "resume", "gated", "-n", "team")
    assert (code, err) == (
        1,
        "error: vic is a viewer of project team; workflow.approve needs developer or owner\n",
    )
    code, out, _ = through(server.url, tokens["viewer"], "status", "gated", "-n", "team", "-o", "json")
    assert code == 0 and json.loads(out)["phase"] == "workflowSuspending"  # refused, so still waiting


@pytest.mark.timeout(60)
def test_a_refused_token_is_one_error_as_every_refusal(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, _ = team
    code, out, err = through(server.url, "vsl_0000.not-a-token", "ls")
    assert (code, out) == (1, "")
    assert err == "error: the token is not valid (unknown, expired or revoked)\n"


@pytest.mark.timeout(60)
def test_a_non_member_is_told_the_application_does_not_exist(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    code, _, err = through(server.url, tokens["non-member"], "workflow", "resume", "gated", "-n", "team")
    assert code == 1
    assert err.startswith("error: application team/gated does not exist")


@pytest.mark.timeout(30)
def test_a_server_that_refuses_connections_is_exit_2_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started_at = time.monotonic()
    code, out, err = through(url, "any", "status", "web")
    assert time.monotonic() - started_at < 5
    assert (code, out) == (2, "")
    assert err.startswith(f"error: cannot reach the Vessel server at {url}: ")


@pytest.mark.timeout(30)
def test_a_server_that_never_answers_is_exit_2_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("VESSEL_REQUEST_TIMEOUT", "1")
        started_at = time.monotonic()
        code, _, err = through(url, "any", "ls")
        took = time.monotonic() - started_at
    assert code == 2
    assert err.startswith(f"error: cannot reach the Vessel server at {url}: no answer within 1s")
    assert 1 <= took < 5


@pytest.mark.timeout(60)
def test_def_render_with_local_definitions_says_it_does_not_work_through_a_server(
    team: tuple[ServerProcess, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = team
    args = ("def", "render", "webservice", "--set", "image=x", "--definitions", str(tmp_path))
    code, out, err = through(server.url, tokens["admin"], *args)
    assert (code, out) == (1, "")
    assert "--definitions does not work through a Vessel server" in err


@pytest.mark.timeout(60)
def test_a_command_for_this_machine_says_it_does_not_ask_the_server(
    team: tuple[ServerProcess, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = team
    env = client_env(tmp_path, server.url, tokens["admin"])
    done = run_vessel(env, "user", "add", "zed")
    assert (done.returncode, done.stdout) == (0, "user zed added\n")
    assert (
        f"note: this command works on this machine's store, not through the server {server.url}"
        in done.stderr
    )


DRIVER = """
import json, sys
from vessel.launcher import app
try:
    app(sys.argv[1:], prog_name="vessel")
    code = 0
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", [("ls", "-n", "team"), ("status", "gated", "-n", "team")])
def test_a_remote_command_loads_nothing_of_the_store_or_the_engine(
    team: tuple[ServerProcess, dict[str, str]], args: tuple[str, ...], tmp_path: Path
) -> None:
    server, tokens = team
    env = client_env(tmp_path, server.url, tokens["admin"])
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    assert "gated" in done.stdout
    loaded = set(report["modules"])
    assert not {m for m in loaded if m.split(".")[0] in ("sqlalchemy", "jinja2", "jsonschema", "fastapi")}
    assert not {
        m for m in loaded if m.startswith(("vessel.controller", "vessel.store.store", "vessel.render"))
    }
