"""On the local target, `env[].valueFrom.secretKeyRef` is read from `$VESSEL_HOME/secrets/NAME/KEY` when a
process starts: the process gets the value, while the manifest, the object's state and its live status
keep only the reference; a missing secret refuses the apply (naming the file to create) and leaves
nothing behind; a crash that quotes the secret shows `***`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.errors import TargetRejectedError
from vessel.model import redaction
from vessel.model.resource_key import ResourceKey
from vessel.targets.local import LocalTarget
from vessel.targets.protocol import TargetInfo

SECRET = "local-canary-61f0c2a9d7"
JOB = """\
import os, sys
if os.environ.get("TOKEN") != open(sys.argv[1]).read():
    sys.exit("the token did not arrive")
if len(sys.argv) > 2:
    sys.exit("refusing token " + os.environ["TOKEN"])  # a careless program quoting its secret
print("token arrived" if "TOKEN" in os.environ else "no token")
"""


@pytest.fixture
def target(tmp_path: Path, isolated_home: Path) -> Iterator[LocalTarget]:
    redaction.KNOWN.forget_all()
    (tmp_path / "job.py").write_text(JOB)
    local = LocalTarget(TargetInfo("local", "local", {}, {"path": str(isolated_home / "local")}))
    yield local
    for directory in (isolated_home / "local").glob("*/*/*"):
        with_key = json.loads((directory / "state.json").read_text())["manifest"]
        local.delete(ResourceKey.of(with_key))


def plant(home: Path, value: str = SECRET) -> Path:
    path = home / "secrets" / "api" / "token"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value)
    return path


def job(tmp_path: Path, home: Path, *extra: str, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": "api", "key": "token", **({"optional": True} if optional else {})}
    secret_file = str(home / "secrets" / "api" / "token")
    container = {
        "name": "job",
        "command": [sys.executable, str(tmp_path / "job.py"), secret_file, *extra],
        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": ref}}],
    }
    return {
        "apiVersion": "local.vessel.dev/v1",
        "kind": "Task",
        "metadata": {"name": "job", "namespace": "default", "labels": {"app.oam.dev/name": "a"}},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def settled(target: LocalTarget, obj: dict[str, Any], done: Callable[[dict[str, Any]], bool]) -> Any:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        live = target.get(ResourceKey.of(obj))
        if live is not None and done(live["status"]):
            return live
        time.sleep(0.05)
    raise AssertionError("the task did not settle")


def test_the_process_gets_the_secret_and_only_the_reference_is_kept(
    target: LocalTarget, tmp_path: Path, isolated_home: Path
) -> None:
    plant(isolated_home)
    obj = job(tmp_path, isolated_home)
    target.apply(obj)
    live = settled(target, obj, lambda s: s["succeeded"] == 1)
    assert list(target.logs(ResourceKey.of(obj))) == ["job-0 | token arrived"]
    kept = [p.read_text() for p in (isolated_home / "local").rglob("*") if p.is_file()]
    assert all(SECRET not in text for text in [json.dumps(live), *kept])


def test_a_missing_secret_is_refused_naming_the_file_and_leaves_nothing(
    target: LocalTarget, tmp_path: Path, isolated_home: Path
) -> None:
    with pytest.raises(TargetRejectedError) as err:
        target.apply(job(tmp_path, isolated_home))
    assert "env TOKEN: secret 'api' has no key 'token'" in str(err.value)
    assert str(isolated_home / "secrets" / "api" / "token") in str(err.value)
    assert list((isolated_home / "local").rglob("*")) == []


def test_an_optional_missing_secret_leaves_the_variable_unset(
    target: LocalTarget, tmp_path: Path, isolated_home: Path
) -> None:
    obj = job(tmp_path, isolated_home, optional=True)
    obj["spec"]["template"]["spec"]["containers"][0]["command"] = [
        sys.executable,
        "-c",
        "import os; print('token arrived' if 'TOKEN' in os.environ else 'no token')",
    ]
    target.apply(obj)
    settled(target, obj, lambda s: s["succeeded"] == 1)
    assert list(target.logs(ResourceKey.of(obj))) == ["job-0 | no token"]


def test_a_crash_that_quotes_its_secret_shows_it_masked(
    target: LocalTarget, tmp_path: Path, isolated_home: Path
) -> None:
    plant(isolated_home)
    obj = job(tmp_path, isolated_home, "--fail")
    target.apply(obj)
    live = settled(target, obj, lambda s: s["failed"] == 1)
    assert "refusing token ***" in json.dumps(live)
    state = next((isolated_home / "local").rglob("state.json")).read_text()
    assert "refusing token ***" in state and SECRET not in state


def test_vessel_logs_masks_a_secret_the_program_prints(tmp_path: Path, isolated_home: Path) -> None:
    """The program's own log file keeps what it wrote (as the kubelet's does); `vessel logs`, in a
    process that never read the secret, shows it masked."""
    plant(isolated_home)
    app = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: chatty}}
spec:
  components:
    - name: job
      type: task
      properties:
        image: busybox
        cmd: ["{sys.executable}", "-c", "import os; print('my token is', os.environ['TOKEN'])"]
        env: [{{name: TOKEN, valueFrom: {{secretKeyRef: {{name: api, key: token}}}}}}]
"""
    (tmp_path / "app.yaml").write_text(app)
    runner = CliRunner()
    try:
        up = runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml"), "--timeout", "60s"])
        assert up.exit_code == 0, up.output
        redaction.KNOWN.forget_all()  # as a new `vessel logs` process
        logs = runner.invoke(cli, ["logs", "chatty"])
        assert logs.exit_code == 0 and "my token is ***" in logs.stdout and SECRET not in logs.stdout
    finally:
        runner.invoke(cli, ["delete", "chatty", "-y"])
