"""A process the local target starts gets what its component declares plus a small documented base
(PATH, HOME, USER, LOGNAME, LANG, LANGUAGE, LC_*, TZ, TMPDIR) and the values Vessel means for it (PORT,
VESSEL_SOURCE_DIR, VESSEL_LAUNCH) — never the rest of the `vessel` command's environment, where the
store's URL with its password and the operator's cloud credentials live. That holds for a Service's
replicas, its exec probes, its balancer, a Task's runs — and for the template workers, which have no
business with it either.

The canaries are set in this process's environment, which is the `vessel` command's as far as the target
and the worker pool can tell; each process's environment is read from /proc/<pid>/environ, or written
down by the process itself."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.definitions.worker_pool import WorkerProcess
from vessel.model.resource_key import ResourceKey
from vessel.targets.local import LocalTarget
from vessel.targets.protocol import TargetInfo

CANARIES = {
    "VESSEL_DATABASE_URL": "postgresql+psycopg://vessel:canary-password@db:5432/vessel",
    "AWS_SECRET_ACCESS_KEY": "canary-aws-secret",
    "GITHUB_TOKEN": "canary-github-token",
}
BASE = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}
# Writes its environment to a file named by its first argument, then waits (or exits, with "once").
DUMP = (
    "import json, os, sys, time\n"
    "open(sys.argv[1] + '.tmp', 'w').write(json.dumps(dict(os.environ)))\n"
    "os.replace(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "time.sleep(0 if sys.argv[2:] == ['once'] else 300)\n"
)


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TMPDIR", "/tmp")
    monkeypatch.setenv("HOME", os.environ.get("HOME", "/root"))
    yield


def obj(kind: str, tmp: Path, **spec: Any) -> dict[str, Any]:
    name = kind.lower()
    container: dict[str, Any] = {
        "name": name,
        "command": [
            sys.executable,
            "-c",
            DUMP,
            str(tmp / f"{name}.env"),
            *(["once"] if kind == "Task" else []),
        ],
        "env": [{"name": "GREETING", "value": "hello"}],
    }
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "local.vessel.dev/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app.oam.dev/name": "envs", "app.oam.dev/component": name},
        },
        "spec": {"minReadySeconds": 0, **spec, "template": {"spec": {"containers": [container]}}},
    }


def written(path: Path, timeout: float = 20.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was never written")
        time.sleep(0.02)
    env: dict[str, str] = json.loads(path.read_text())
    return env


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.decode().partition("=")[::2] for entry in raw.split(b"\0") if entry)


PROVIDED = {"PORT", "VESSEL_LAUNCH", "VESSEL_SOURCE_DIR", "VESSEL_PYTHON", "VESSEL_HOME", "USER", "LOGNAME"}


def assert_only_declared_and_base(env: dict[str, str], declared: set[str]) -> None:
    assert not set(CANARIES) & set(env), "a secret of the vessel command reached a local process"
    assert set(env) <= BASE | declared | PROVIDED
    assert {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"} <= set(env)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        time.sleep(0.02)
    return value


def test_replicas_probes_balancers_and_task_runs_get_only_their_env_and_the_base(
    tmp_path: Path, canaries: None
) -> None:
    config = {"path": str(tmp_path / "state"), "ports": "24300-24399", "grace": 0.5}
    target = LocalTarget(TargetInfo("laptop", "local", config=config))
    probe = [sys.executable, "-c", DUMP, str(tmp_path / "probe.env"), "once"]
    service = obj(
        "Service",
        tmp_path,
        replicas=2,
        port=24399,
        container={"readinessProbe": {"exec": {"command": probe}, "periodSeconds": 0.05}},
    )
    task = obj("Task", tmp_path)
    try:
        live = target.apply(service).live
        target.apply(task)
        replica = written(tmp_path / "service.env")
        assert replica["GREETING"] == "hello" and replica["PORT"].isdigit()
        assert_only_declared_and_base(replica, {"GREETING"})
        (process,) = live["status"]["processes"][:1]
        assert_only_declared_and_base(environ(process["pid"]), {"GREETING"})  # as it started
        wait_for(lambda: target.get(ResourceKey.of(service)))  # runs the probes
        assert_only_declared_and_base(written(tmp_path / "probe.env"), {"GREETING"})
        assert_only_declared_and_base(written(tmp_path / "task.env"), {"GREETING"})
        balancer = json.loads((tmp_path / "state/default/envs/service/state.json").read_text())["balancer"]
        assert_only_declared_and_base(environ(balancer["pid"]), set())
    finally:
        target.delete(ResourceKey.of(service))
        target.delete(ResourceKey.of(task))


def test_template_workers_get_only_the_base_and_their_module_path(canaries: None) -> None:
    worker = WorkerProcess()
    try:
        env = environ(worker.process.pid)
        assert not set(CANARIES) & set(env)
        assert set(env) <= BASE | {"PYTHONPATH", "USER", "LOGNAME"}
    finally:
        worker.process.kill()
        worker.process.wait()
