"""What Vessel keeps on this machine is private to the user running it: `vessel.db` holds env values,
Secret data, webhook URLs with credentials and request headers; the local target's state and logs hold
env values and whatever the app prints. A new VESSEL_HOME is made 0700 and its files 0600 — the SQLite
store's -wal and -shm files too — and the local target's directories 0700 and files 0600; an existing
home that others can read is named once per command on stderr with the fix. A directory target writes
a Secret's file 0600 (others as the umask says: they are meant to be shared, committed, applied)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vessel.model.resource_key import ResourceKey
from vessel.store.store import Store
from vessel.targets.directory import DirectoryTarget
from vessel.targets.local import LocalTarget
from vessel.targets.protocol import TargetInfo


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def vessel(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VESSEL_HOME": str(home)}
    env.pop("VESSEL_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_new_home_is_0700_and_the_store_with_its_wal_files_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("VESSEL_HOME", str(home))
    store = Store.open()  # the default store: VESSEL_HOME/vessel.db
    try:
        with store.engine.begin() as conn:  # a write, so the WAL has something in it
            conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        files = [home / "vessel.db", home / "vessel.db-wal", home / "vessel.db-shm"]
        assert all(f.exists() for f in files)
        assert mode(home) == 0o700
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        store.close()


def test_the_local_targets_state_logs_and_records_are_0600_in_0700_directories(tmp_path: Path) -> None:
    root = tmp_path / "home" / "local"
    target = LocalTarget(TargetInfo("local", "local", config={"path": str(root), "ports": "24400-24449"}))
    task = manifest("Task", [sys.executable, "-c", "print('done')"])
    service = manifest(
        "Service", [sys.executable, "-c", "import time; time.sleep(300)"], replicas=2, port=24449
    )
    try:
        target.apply(task)
        target.apply(service)
        deadline = time.monotonic() + 20
        while not list(root.glob("default/app/task/run/*.exit")):  # the run's exit record
            assert time.monotonic() < deadline, "the task never finished"
            time.sleep(0.02)
        dirs = [root, *(p for p in root.rglob("*") if p.is_dir() and "work" not in p.parts)]
        files = [p for p in root.rglob("*") if p.is_file()]
        assert {".json", ".lock", ".log", ".launch", ".exit"} <= {f.suffix or f.name for f in files}
        assert {str(d): oct(mode(d)) for d in dirs} == {str(d): oct(0o700) for d in dirs}
        assert {str(f): oct(mode(f)) for f in files} == {str(f): oct(0o600) for f in files}
    finally:
        target.delete(ResourceKey.of(service))
        target.delete(ResourceKey.of(task))


def test_an_existing_home_others_can_read_is_named_once_with_the_fix(tmp_path: Path) -> None:
    home = tmp_path / "shared-home"
    home.mkdir(mode=0o755)  # as an earlier Vessel (or a user) left it, with a store in it
    home.chmod(0o755)
    Store.open(f"sqlite:///{home / 'vessel.db'}").close()
    result = vessel(home, "target", "list")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if str(home) in line]
    assert len(warnings) == 1, result.stderr
    assert "chmod 700" in warnings[0] and "0755" in warnings[0]

    home.chmod(0o700)
    assert str(home) not in vessel(home, "target", "list").stderr


def test_a_directory_target_writes_secrets_0600(tmp_path: Path) -> None:
    target = DirectoryTarget(TargetInfo("out", "directory", config={"path": str(tmp_path / "out")}))
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "db", "namespace": "shop"}}
    target.apply({**secret, "stringData": {"password": "hunter2"}})
    target.apply({**config, "data": {"host": "db"}})
    umask = os.umask(0)
    os.umask(umask)
    assert mode(tmp_path / "out" / "shop" / "secret.core" / "db.yaml") == 0o600
    assert mode(tmp_path / "out" / "shop" / "configmap.core" / "db.yaml") == 0o666 & ~umask


def manifest(kind: str, command: list[str], **spec: Any) -> dict[str, Any]:
    name = kind.lower()
    return {
        "apiVersion": "local.vessel.dev/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app.oam.dev/name": "app", "app.oam.dev/component": name},
        },
        "spec": {**spec, "template": {"spec": {"containers": [{"name": name, "command": command}]}}},
    }
