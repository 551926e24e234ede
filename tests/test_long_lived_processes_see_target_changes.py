"""A running `vessel run` sees targets that other `vessel` commands add, change or remove while it runs:
an added target receives deliveries, a target registered again with another directory gets a new live
object (nothing lands in the old one), and a removed one is no longer delivered to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - {{name: {name}, type: webservice, properties: {{image: "shop/{name}:1"}}}}
  policies:
    - {{name: where, type: topology, properties: {{clusters: [{target}]}}}}
"""
runner = CliRunner()


def vessel(*args: str) -> Result:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def eventually(what: str, check: Callable[[], bool], log: Path, seconds: float = 30.0) -> None:
    """Wait for evidence that `vessel run` acted (bounded; the failure shows what it printed)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:g}s; vessel run printed:\n{log.read_text()}")
        time.sleep(0.05)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def start_run(home: Path) -> Iterator[Callable[[], Path]]:
    procs: list[subprocess.Popen[bytes]] = []
    log = home / "run.log"

    def start() -> Path:
        env = {**os.environ, "VESSEL_HOME": str(home / "home")}
        with log.open("ab") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "vessel", "run", "--interval", "0.2"],
                    env=env,
                    stdout=out,
                    stderr=out,
                )
            )
        return log

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


def submit(home: Path, name: str, target: str) -> None:
    path = home / f"{name}.yaml"
    path.write_text(APP.format(name=name, target=target))
    vessel("up", "-f", str(path), "--no-wait")


def written(root: Path, name: str) -> Path:
    return root / "default" / "deployment.apps" / f"{name}.yaml"


def phase(name: str) -> tuple[str, str]:
    doc = json.loads(vessel("status", name, "-o", "json").stdout)
    return doc["phase"], doc["message"]


@pytest.mark.timeout(180)
def test_vessel_run_sees_targets_added_changed_and_removed_while_it_runs(
    home: Path, start_run: Callable[[], Path]
) -> None:
    first_dir, second_dir, moved_dir = home / "a-first", home / "b", home / "a-moved"
    vessel("target", "add", "a", "--type", "directory", "--path", str(first_dir))
    submit(home, "first", "a")
    log = start_run()
    eventually("vessel run delivers to a target it knew at start", written(first_dir, "first").exists, log)

    vessel("target", "add", "b", "--type", "directory", "--path", str(second_dir))
    submit(home, "second", "b")
    eventually(
        "a target added while vessel run runs is delivered to", written(second_dir, "second").exists, log
    )

    vessel("delete", "first")
    vessel("target", "remove", "a")
    vessel("target", "add", "a", "--type", "directory", "--path", str(moved_dir))
    submit(home, "third", "a")
    eventually("a changed target is delivered to where it is now", written(moved_dir, "third").exists, log)
    assert not written(first_dir, "third").exists()

    vessel("delete", "second")
    vessel("target", "remove", "b")
    submit(home, "fourth", "b")
    eventually("a removed target fails the workflow", lambda: phase("fourth")[0] == "workflowFailed", log)
    assert "unknown target(s) b" in phase("fourth")[1]
    assert not written(second_dir, "fourth").exists()
