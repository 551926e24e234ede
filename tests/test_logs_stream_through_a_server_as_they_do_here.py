"""`vessel logs` through a server prints what it prints on the server's machine: the same lines, with
`--tail` and `--timestamps` alike, and errors alike; `-f` streams new lines as the workload writes them
until Ctrl-C (exit 130). A real server delivers a local process; the embedded CLI reads its logs from
the same VESSEL_HOME, the remote one through `GET …/logs`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, client_env, wait_for
from vessel.cli.main import app as cli

TICKER = (
    "import time\n"
    "print('started', flush=True)\n"
    "for n in range(10000):\n"
    "    print(f'tick {n}', flush=True)\n"
    "    time.sleep(0.2)\n"
)
QUIET = "import time\nfor n in range(5): print(f'line {n}', flush=True)\ntime.sleep(600)\n"
APP = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: ticker}}
spec:
  components:
    - name: ticker
      type: worker
      properties:
        image: unused
        cmd: [{sys.executable!r}, "-c", {TICKER!r}]
    - name: quiet
      type: worker
      properties:
        image: unused
        cmd: [{sys.executable!r}, "-c", {QUIET!r}]
"""
STATUS = "/api/v1/namespaces/default/applications/ticker"


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        assert proc.request("POST", "/api/v1/applications", APP).status == 202
        wait_for(lambda: proc.request("GET", STATUS).json()["phase"] == "running", "ticker running")
        yield proc
    finally:
        proc.request("DELETE", STATUS)  # its process goes with it
        wait_for(lambda: proc.request("GET", STATUS).status == 404, "ticker deleted")
        proc.kill()


def run(server: ServerProcess | None, *args: str) -> tuple[int, str, str]:
    env = {"VESSEL_SERVER": None, "VESSEL_TOKEN": None}
    if server is not None:
        env = {"VESSEL_SERVER": server.url, "VESSEL_TOKEN": server.token}
    result = CliRunner().invoke(cli, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.timeout(120)
def test_logs_through_the_server_are_the_logs_here(server: ServerProcess) -> None:
    wait_for(lambda: "line 4" in run(None, "logs", "ticker", "-c", "quiet")[1], "quiet's five lines")
    for args in (
        ("logs", "ticker", "-c", "quiet"),
        ("logs", "ticker", "-c", "quiet", "--tail", "2", "--timestamps"),
        ("logs", "ticker", "-c", "nothing-such"),
        ("logs", "missing"),
    ):
        here, there = run(None, *args), run(server, *args)
        assert there == here, args
    code, out, _ = run(server, "logs", "ticker", "-c", "quiet", "--tail", "1")
    assert (code, out) == (0, "quiet | quiet-0 | line 4\n")


@pytest.mark.timeout(120)
def test_follow_streams_new_lines_until_ctrl_c(server: ServerProcess, tmp_path: Path) -> None:
    env = client_env(tmp_path, server.url, server.token)
    follower = subprocess.Popen(
        [sys.executable, "-m", "vessel", "logs", "ticker", "-c", "ticker", "-f", "--tail", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        seen = [follower.stdout.readline() for _ in range(4)]  # the last line, then new ones as written
        ticks = [int(line.rsplit(" ", 1)[1]) for line in seen]
        assert all(line.startswith("ticker | ticker-0 | tick ") for line in seen), seen
        assert ticks == sorted(ticks) and len(set(ticks)) == 4
        follower.send_signal(signal.SIGINT)
        assert follower.wait(20) == 130
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait(10)
