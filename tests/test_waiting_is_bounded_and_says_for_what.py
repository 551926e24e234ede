"""Nothing waits forever, and waiting says for what: `vessel up` gives up after `--timeout` (5m unless
told), having printed what each step waits for; when it gives up it names what it was still waiting for,
says the run goes on under `vessel run`, and exits 1. `vessel status -w` prints the status as it changes
until it settles, says when nobody drives the workflow, and its exit code says how it ended.

A Kubernetes target whose API server runs no controllers keeps a Deployment at Ready:0/2 for as long as
the test wants; setting its status as a controller would lets it settle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.controller.controller import Controller
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
      traits: [{type: scaler, properties: {replicas: 2}}]
"""
WAITING = "waiting for component api on target k8s to become healthy: Ready:0/2"
runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def stuck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeServer]:
    """A Kubernetes target where the Deployment `api` never becomes ready by itself."""
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    (tmp_path / "app.yaml").write_text(APP)
    with FakeKubeServer() as kube:
        kube.controller = False
        config = kube.kubeconfig(tmp_path / "kubeconfig")
        assert (
            vessel(
                "target", "add", "k8s", "--type", "kubernetes", "--kubeconfig", str(config), "--default"
            ).exit_code
            == 0
        )
        yield kube


def test_up_gives_up_after_its_timeout_saying_what_it_still_waits_for(
    stuck: FakeKubeServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "2s")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    assert f"api                      running  {WAITING}" in result.stdout  # the progress line
    assert "gave up waiting after 2s; still waiting for:" in result.stderr
    assert f"  api: {WAITING}" in result.stderr
    assert "`vessel run`" in result.stderr and "vessel status shop -n default -w" in result.stderr


def test_up_waits_five_minutes_unless_told(
    stuck: FakeKubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[float | None] = []

    def drive(self: Controller, app: Any, timeout: float | None = None, progress: Any = None) -> Any:
        asked.append(timeout)
        return app

    monkeypatch.setattr(Controller, "drive", drive)
    vessel("up", "-f", str(tmp_path / "app.yaml"))
    vessel("workflow", "restart", "shop")
    assert asked == [300.0, 300.0]
    assert "[default: 5m]" in vessel("up", "--help").stdout
    refused = vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "forever")
    assert refused.exit_code == 1 and "--timeout: 'forever' is not a duration" in refused.stderr


def next_document(stream: IO[str]) -> dict[str, Any]:
    """The next of the pretty-printed JSON documents a watch writes (each ends with `}` alone on a line)."""
    text = ""
    while not text.endswith("\n}\n"):
        line = stream.readline()
        assert line, f"the watch ended before a whole document: {text!r}"
        text += line
    return json.loads(text)  # type: ignore[no-any-return]


def test_status_watch_prints_each_change_until_the_application_settles(
    stuck: FakeKubeServer, tmp_path: Path
) -> None:
    assert vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "1s").exit_code == 1
    watch = subprocess.Popen(
        [sys.executable, "-m", "vessel", "status", "shop", "-w", "-o", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert watch.stdout is not None and watch.stderr is not None
        first = next_document(watch.stdout)
        assert first["phase"] == "runningWorkflow" and first["workflow"]["steps"][0]["message"] == WAITING

        ready = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "observedGeneration": 1}
        stuck.set_status("deployments", "default", "api", ready)
        assert vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s").exit_code == 0

        assert watch.wait(timeout=30) == 0
        last = all_documents(watch.stdout.read())[-1]
        assert last["phase"] == "running" and last["services"][0]["healthy"]
        assert "no Vessel process is driving its workflow" in watch.stderr.read()
    finally:
        watch.kill()
        watch.wait()


def all_documents(text: str) -> list[dict[str, Any]]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        document, at = decoder.raw_decode(text, at + len(text[at:]) - len(text[at:].lstrip()))
        found.append(document)
    return found


def test_status_watch_ends_truthfully(stuck: FakeKubeServer, tmp_path: Path) -> None:
    vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "1s")
    started = time.monotonic()
    timed_out = vessel("status", "shop", "-w", "--timeout", "2s")
    assert timed_out.exit_code == 1 and time.monotonic() - started < 20
    assert "not settled after 2s (phase runningWorkflow)" in timed_out.stderr
    assert "phase: runningWorkflow" in timed_out.stdout

    vessel("workflow", "terminate", "shop")
    failed = vessel("status", "shop", "-w")
    assert failed.exit_code == 1 and "workflow: terminated" in failed.stdout

    misused = vessel("status", "shop", "--timeout", "2s")
    assert misused.exit_code == 2 and "--timeout" in misused.output
