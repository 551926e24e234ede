"""Through a server, `vessel up` follows the server driving the workflow and never waits forever: it
prints what the step waits for, gives up after `--timeout` naming what it still waits for and saying the
server goes on (exit 1), and Ctrl-C stops only the following (exit 130): the server still drives the
run. A Kubernetes target whose API server runs no controllers keeps the Deployment at Ready:0/2.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, client_env, with_target
from vessel.cli.main import app as cli
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - name: api
      type: webservice
      properties: {{image: "shop/api:1"}}
      traits: [{{type: scaler, properties: {{replicas: 2}}}}]
"""
WAITING = "waiting for component api on target k8s to become healthy: Ready:0/2"


@pytest.fixture
def stuck(isolated_home: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server whose default target is a cluster where `api` never becomes ready by itself."""
    with FakeKubeServer() as kube:
        kube.controller = False
        config = kube.kubeconfig(tmp_path / "kubeconfig")
        with_target(isolated_home, "k8s", "kubernetes", {"kubeconfig": str(config)})
        server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
        try:
            yield server
        finally:
            server.kill()


def _file(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(APP.format(name=name))
    return str(path)


@pytest.mark.timeout(90)
def test_up_gives_up_after_its_timeout_and_says_the_server_goes_on(
    stuck: ServerProcess, tmp_path: Path
) -> None:
    env = {"VESSEL_SERVER": stuck.url, "VESSEL_TOKEN": stuck.token}
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["up", "-f", _file(tmp_path, "shop"), "--timeout", "3s"], env=env)
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("shop: revision 1 created\n")
    assert f"api                      running  {WAITING}" in result.stdout  # the progress line
    assert result.stderr == (
        "shop: gave up waiting after 3s; still waiting for:\n"
        f"  api: {WAITING}\n"
        "The server goes on driving the workflow. Follow it with: vessel status shop -n default -w\n"
    )


@pytest.mark.timeout(90)
def test_ctrl_c_stops_following_and_the_server_keeps_driving(stuck: ServerProcess, tmp_path: Path) -> None:
    env = client_env(tmp_path, stuck.url, stuck.token)
    up = subprocess.Popen(
        [sys.executable, "-m", "vessel", "up", "-f", _file(tmp_path, "cart")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert up.stdout is not None and up.stderr is not None
        assert up.stdout.readline() == "cart: revision 1 created\n"
        line = up.stdout.readline()  # following: the step's lines as they change (running, then waiting)
        if line == "  api                      running\n":
            line = up.stdout.readline()
        assert line == f"  api                      running  {WAITING}\n"
        up.send_signal(signal.SIGINT)
        assert up.wait(20) == 130
        assert "SIGINT: stopped following the workflows; the server goes on driving it" in up.stderr.read()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait(10)
    status = stuck.request("GET", "/api/v1/namespaces/default/applications/cart").json()
    assert status["phase"] == "runningWorkflow"
    assert status["workflow"]["driver"] is not None  # the server's loop, not this command, drives it
