"""An object is recorded before it is applied (so a crash is recoverable), but when the target refuses it
(TargetRejectedError: nothing was written) the claim goes: a new entry is forgotten, so the name is free
for any application, and a known entry is put back as it was. Targets that made folders for a refused
or failed object remove them."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.errors import TargetRejectedError, TargetUnavailableError
from vessel.model.resource_key import ResourceKey
from vessel.store import EntryState, Phase
from vessel.targets.directory import DirectoryTarget
from vessel.targets.local import LocalTarget
from vessel.targets.protocol import TargetInfo
from vessel.testing.engine import Harness

SETTINGS = ResourceKey("v1", "ConfigMap", "default", "settings")


def config_app(name: str, value: str = "1") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - name: config
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings}}, data: {{v: "{value}"}}}}]
"""


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


def test_a_refused_new_object_is_not_kept_in_the_inventory(h: Harness) -> None:
    h.targets["mem"].reject[SETTINGS] = "data: Invalid value"
    a = h.up(config_app("a"))
    assert a.phase == Phase.FAILED and "Invalid value" in a.message
    assert h.store.holders("mem", SETTINGS) == {}
    del h.targets["mem"].reject[SETTINGS]
    assert h.up(config_app("b")).phase == Phase.RUNNING  # not "belongs to application default/a"


def test_a_refused_change_puts_back_the_entry_of_what_is_there(h: Harness) -> None:
    a = h.up(config_app("a", "1"))
    before = h.store.inventory(a.id)
    h.targets["mem"].reject[SETTINGS] = "data: Invalid value"
    assert h.up(config_app("a", "2")).phase == Phase.FAILED
    after = h.store.inventory(a.id)
    assert [(e.revision, e.state, e.digest) for e in after] == [(1, EntryState.APPLIED, before[0].digest)]
    assert after[0].manifest["data"] == {"v": "1"}  # what the target still holds


def test_a_refused_apply_object_releases_its_claim(h: Harness) -> None:
    h.targets["mem"].reject[SETTINGS] = "data: Invalid value"
    app = h.up(
        """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: a}
spec:
  components: []
  workflow:
    steps:
      - name: create
        type: apply-object
        properties: {value: {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {v: "1"}}}
"""
    )
    assert app.phase == Phase.FAILED and "Invalid value" in app.message
    assert h.store.inventory(app.id) == []


def _folders(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_refused_local_object_leaves_no_directory(tmp_path: Path) -> None:
    target = LocalTarget(TargetInfo("local", "local", {}, {"path": str(tmp_path / "local")}))
    container = {"name": "job", "command": [sys.executable, "$(VESSEL_SOURCE_DIR)/job.py"]}
    job: dict[str, Any] = {
        "apiVersion": "local.vessel.dev/v1",
        "kind": "Task",
        "metadata": {"name": "job", "namespace": "default", "labels": {"app.oam.dev/name": "a"}},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }
    with pytest.raises(TargetRejectedError, match="VESSEL_SOURCE_DIR"):
        target.apply(job)  # no source directory known: refused before anything starts
    assert _folders(tmp_path / "local") == []


def test_a_failed_directory_write_leaves_no_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = DirectoryTarget(TargetInfo("out", "directory", {}, {"path": str(tmp_path / "out")}))

    def disk_full(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "open", disk_full)
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "ns"}}
    with pytest.raises(TargetUnavailableError, match="No space left"):
        target.apply(config)
    assert _folders(tmp_path / "out") == []
