"""Where an Application file lives is this machine's business: `vessel up` of the same file from two
checkouts is one revision, no absolute path reaches a delivered object or `dry-run` (which prints exactly
what is applied), and a local app still runs the script next to its YAML through $(VESSEL_SOURCE_DIR) —
also when `vessel run`, started from somewhere else, restarts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.resource_key import ResourceKey
from vessel.store.store import Store

runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    yield tmp_path
    for app in json.loads(vessel("ls", "-o", "json").stdout or "[]"):
        vessel("delete", app["name"], "-n", app["namespace"])


SHOP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: shop/web:1
        cmd: ["python3", "$(VESSEL_SOURCE_DIR)/server.py"]
        ports: [{port: 8080, expose: true}]
    - name: jobs
      type: worker
      properties: {image: "shop/jobs:1", cmd: ["python3", "$(VESSEL_SOURCE_DIR)/jobs.py"]}
"""


def checkout(base: Path, name: str) -> Path:
    """A clone of the project: the Application file and its scripts."""
    where = base / name
    where.mkdir()
    (where / "app.yaml").write_text(SHOP)
    return where


def test_the_same_file_applied_from_two_checkouts_is_one_revision_without_machine_paths(home: Path) -> None:
    out = home / "out"
    added = vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default")
    assert added.exit_code == 0, added.output
    first, second = checkout(home, "first"), checkout(home, "second")

    dry = vessel("dry-run", "-f", str(first / "app.yaml"), "-o", "json")
    assert dry.exit_code == 0, dry.output
    assert vessel("up", "-f", str(first / "app.yaml"), "--timeout", "30s").exit_code == 0
    again = vessel("up", "-f", str(second / "app.yaml"), "--timeout", "30s")
    assert again.exit_code == 0 and "unchanged (revision 1)" in again.output
    revisions = json.loads(vessel("revision", "list", "shop", "-o", "json").stdout)
    assert [r["revision"] for r in revisions] == [1]

    files = sorted(out.rglob("*.yaml"))
    delivered = [yaml.safe_load(f.read_text()) for f in files]
    assert files and not any(str(home) in f.read_text() for f in files)
    assert str(home) not in dry.stdout
    assert sorted(map(_key, json.loads(dry.stdout)["items"])) == sorted(map(_key, delivered))
    assert sorted(json.loads(dry.stdout)["items"], key=_key) == sorted(delivered, key=_key)


def _key(obj: dict[str, Any]) -> str:
    return str(ResourceKey.of(obj))


LOOP = "import sys, time\nprint('running', sys.argv[0], flush=True)\nwhile True: time.sleep(1)\n"
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: looper}
spec:
  components:
    - name: looper
      type: worker
      properties:
        image: unused
        cmd: [PYTHON, "$(VESSEL_SOURCE_DIR)/loop.py"]
"""


def test_a_local_app_runs_the_script_next_to_its_yaml_also_when_vessel_run_restarts_it(home: Path) -> None:
    source = home / "project"
    source.mkdir()
    (source / "loop.py").write_text(LOOP)
    (source / "app.yaml").write_text(APP.replace("PYTHON", json.dumps(sys.executable)))
    assert vessel("up", "-f", str(source / "app.yaml"), "--timeout", "60s").exit_code == 0
    first = replica_pid()
    assert first is not None and cmdline(first) == [sys.executable, str(source / "loop.py")]
    (worker,) = json.loads(vessel("status", "looper", "-o", "json").stdout)["services"]
    assert (worker["endpoint"], worker["endpoints"]) == ("", [])  # a worker declares no port
    assert str(home) not in json.dumps(stored())  # not in the revision, nor in what was applied

    os.kill(first, signal.SIGKILL)
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    deadline = time.monotonic() + 30
    while (pid := replica_pid()) in (first, None):
        assert time.monotonic() < deadline
        subprocess.run(
            [sys.executable, "-m", "vessel", "run", "--once"], cwd=elsewhere, check=True, capture_output=True
        )
        time.sleep(0.2)
    assert cmdline(pid) == [sys.executable, str(source / "loop.py")]


def replica_pid() -> int | None:
    doc = json.loads(vessel("status", "looper", "--tree", "-o", "json").stdout)
    (instance,) = [i for r in doc["resources"] for i in r.get("instances", [])]
    return None if instance["phase"] != "running" else _pid_of(instance["name"])


def _pid_of(name: str) -> int | None:
    state = next(Path(os.environ["VESSEL_HOME"], "local").rglob("state.json"))
    replicas = json.loads(state.read_text())["replicas"]
    pid: int | None = next(r["pid"] for r in replicas if r["name"] == name)
    return pid


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def stored() -> dict[str, Any]:
    store = Store.open()
    try:
        app = store.app("default", "looper")
        assert app is not None
        return {
            "revision": store.revision(app.id, app.revision).spec,
            "inventory": [e.manifest for e in store.inventory(app.id)],
        }
    finally:
        store.close()
