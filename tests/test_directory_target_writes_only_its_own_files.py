"""The `directory` target writes one marked YAML file per object, atomically, and never touches files
that Vessel did not write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from vessel.errors import TargetRejectedError, TargetUnavailableError
from vessel.model.resource_key import ResourceKey
from vessel.targets.directory import DirectoryTarget
from vessel.targets.protocol import TargetInfo


def _target(root: Path) -> DirectoryTarget:
    return DirectoryTarget(TargetInfo("files", "directory", config={"path": str(root)}))


def _deployment(name: str = "frontend", app: str = "shop", replicas: int = 2, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "demo",
            "labels": {"app.oam.dev/name": app, "app.oam.dev/namespace": "default"},
            **meta,
        },
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}},
        },
    }


FOREIGN = "# written by hand\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: frontend}\n"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_apply_writes_the_manifest_at_its_stable_path(tmp_path: Path) -> None:
    target = _target(tmp_path / "out")
    manifest = _deployment()
    result = target.apply(manifest)

    path = tmp_path / "out" / "demo" / "deployment.apps" / "frontend.yaml"
    assert result.changed
    assert result.live == manifest
    assert "status" not in result.live
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# Managed by Vessel; app=shop — do not edit"
    assert yaml.safe_load(text) == manifest
    assert text.index("apiVersion") < text.index("kind") < text.index("metadata") < text.index("spec")
    assert target.get(ResourceKey.of(manifest)) == manifest
    assert _files(tmp_path / "out") == ["demo/deployment.apps/frontend.yaml"]


def test_root_is_created_and_reported(tmp_path: Path) -> None:
    target = _target(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
    status = target.status()
    assert status.reachable
    assert status.version == "directory"


def test_missing_root_is_unreachable(tmp_path: Path) -> None:
    target = _target(tmp_path / "gone")
    (tmp_path / "gone").rmdir()
    assert not target.status().reachable


def test_identical_reapply_does_not_touch_the_file(tmp_path: Path) -> None:
    target = _target(tmp_path)
    target.apply(_deployment())
    path = tmp_path / "demo" / "deployment.apps" / "frontend.yaml"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))

    result = target.apply(_deployment())

    assert not result.changed
    assert result.live == _deployment()
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_changed_spec_rewrites_the_file(tmp_path: Path) -> None:
    target = _target(tmp_path)
    target.apply(_deployment(replicas=2))
    result = target.apply(_deployment(replicas=5))

    assert result.changed
    live = target.get(ResourceKey.of(_deployment()))
    assert live is not None
    assert live["spec"]["replicas"] == 5


def test_delete_removes_the_file_and_empty_folders(tmp_path: Path) -> None:
    target = _target(tmp_path)
    target.apply(_deployment("frontend"))
    target.apply(_deployment("backend"))
    key = ResourceKey.of(_deployment("frontend"))

    assert target.delete(key)
    assert _files(tmp_path) == ["demo/deployment.apps/backend.yaml"]
    assert target.get(key) is None
    assert not target.delete(key)

    assert target.delete(ResourceKey.of(_deployment("backend")))
    assert list(tmp_path.iterdir()) == []  # folders gone, root kept


def test_a_foreign_file_is_never_deleted_or_overwritten(tmp_path: Path) -> None:
    target = _target(tmp_path)
    path = tmp_path / "demo" / "deployment.apps" / "frontend.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(FOREIGN)
    key = ResourceKey.of(_deployment())

    with pytest.raises(TargetRejectedError, match="not written by Vessel"):
        target.delete(key)
    with pytest.raises(TargetRejectedError, match="not written by Vessel"):
        target.apply(_deployment())
    assert target.get(key) is None
    assert path.read_text() == FOREIGN


def test_list_owned_ignores_foreign_files_and_other_apps(tmp_path: Path) -> None:
    target = _target(tmp_path)
    target.apply(_deployment("frontend", app="shop"))
    target.apply(_deployment("backend", app="shop"))
    target.apply(_deployment("other", app="blog"))
    elsewhere = _deployment("elsewhere", app="shop")
    elsewhere["metadata"]["labels"]["app.oam.dev/namespace"] = "prod"
    target.apply(elsewhere)
    foreign = tmp_path / "demo" / "deployment.apps" / "stranger.yaml"
    foreign.write_text(FOREIGN.replace("frontend", "stranger") + "  labels: {app.oam.dev/name: shop}\n")
    (tmp_path / "demo" / "deployment.apps" / "broken.yaml").write_text("{{{ not yaml")

    owned = target.list_owned("shop", "default")

    assert [o["metadata"]["name"] for o in owned] == ["backend", "frontend"]
    assert target.list_owned("nobody", "default") == []


@pytest.mark.parametrize(
    ("field", "patch"),
    [
        ("metadata.name", {"metadata": {"name": "../../etc/passwd", "namespace": "demo"}}),
        ("metadata.name", {"metadata": {"name": "..", "namespace": "demo"}}),
        ("metadata.name", {"metadata": {"name": "/abs", "namespace": "demo"}}),
        ("metadata.name", {"metadata": {"name": "", "namespace": "demo"}}),
        ("metadata.namespace", {"metadata": {"name": "x", "namespace": ".."}}),
        ("metadata.namespace", {"metadata": {"name": "x", "namespace": "a/b"}}),
        ("kind", {"kind": "../Deployment"}),
        ("kind", {"kind": "a\\b"}),
        ("apiVersion", {"apiVersion": "../../v1"}),
    ],
)
def test_path_traversal_is_rejected(tmp_path: Path, field: str, patch: dict[str, Any]) -> None:
    root = tmp_path / "root"
    target = _target(root)
    manifest = {**_deployment(), **patch}

    with pytest.raises(TargetRejectedError, match=field.replace(".", r"\.")):
        target.apply(manifest)
    with pytest.raises(TargetRejectedError):
        target.get(ResourceKey.of(manifest))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["root"]


def test_cluster_scoped_objects_go_under_cluster(tmp_path: Path) -> None:
    target = _target(tmp_path)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}
    target.apply(namespace)

    assert _files(tmp_path) == ["_cluster/namespace.core/demo.yaml"]
    assert target.get(ResourceKey.of(namespace)) == namespace


def test_a_crash_mid_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(tmp_path)
    target.apply(_deployment(replicas=2))
    path = tmp_path / "demo" / "deployment.apps" / "frontend.yaml"
    before = path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        target.apply(_deployment(replicas=5))

    assert path.read_bytes() == before
    assert _files(tmp_path) == ["demo/deployment.apps/frontend.yaml"]


def test_io_errors_are_transient_and_name_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(tmp_path)

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(TargetUnavailableError, match=r"frontend\.yaml: No space left on device") as err:
        target.apply(_deployment())

    assert not err.value.terminal
    assert _files(tmp_path) == []


def test_permission_denied_is_transient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(tmp_path)

    def denied(*args: Any) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # what a read-only folder does (chmod is moot under root)
    with pytest.raises(TargetUnavailableError, match=r"frontend\.yaml: Permission denied"):
        target.apply(_deployment())


def test_logs_are_empty(tmp_path: Path) -> None:
    assert list(_target(tmp_path).logs(ResourceKey.of(_deployment()))) == []
