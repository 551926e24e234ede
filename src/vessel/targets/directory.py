"""`directory`: deliver resources as YAML files in a folder (a GitOps repository, an inspection folder).

Each object is one file at a stable path, `<root>/<namespace or _cluster>/<kind>.<group or core>/<name>.yaml`,
whose first line marks it as Vessel's. Only marked files are ever read back, listed, rewritten or deleted:
a file someone else put at the same path is left alone. Writes are atomic (a temporary file in the same
directory, then `os.replace`) and skipped when the content is already identical, so a steady state never
touches the disk. A written file has no live state, so the live object is the manifest as written.

A Secret's file is written 0600: it holds the Secret's data in the clear, and nothing but the user
running Vessel (and what they run, e.g. `git`) needs to read it. Every other file is written as the
umask says, like any tool writing into a folder the user chose: it is meant to be shared, committed and
applied. (Git records no read permissions, so a commit shares a Secret anyway: encrypt those — sealed
secrets, SOPS — before they reach a repository.) A Secret that asks for generated keys (the shared
services' passwords, see `generated_secrets`) gets them in its file, generated when first written and
kept from the file afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from vessel.errors import Location, TargetRejectedError, TargetUnavailableError, ValidationError
from vessel.model.resource_key import ResourceKey
from vessel.targets import generated_secrets, settings
from vessel.targets.protocol import (
    APP_LABEL,
    APP_NAMESPACE_LABEL,
    ApplyResult,
    Instance,
    TargetInfo,
    TargetStatus,
)

_Dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MARKER = b"# Managed by Vessel; app="
CLUSTER_DIR = "_cluster"
_NAME_MAX = 255  # bytes in one file name on common file systems


class _ForeignFile(Exception):
    """The file at an object's path was not written by Vessel."""


# The kubernetes target's before-delete hooks (targets/kubernetes/before_delete.py: targets do not import
# each other): nothing here could run that Job, so such an object is refused (the step fails, saying
# why) rather than written as if the drop it promises would happen.
BEFORE_DELETE = "hooks.vessel.dev/before-delete"


class DirectoryTarget:
    live_state = False  # a written file has no status: having been written is being healthy

    def __init__(self, info: TargetInfo):
        if not isinstance(info.config.get("path"), str | os.PathLike) or not str(info.config["path"]):
            raise ValidationError(f"target {info.name!r} needs a directory", Location(path="config.path"))
        self.info = info
        self.version = settings.cluster_version(info)
        self.root = Path(info.config["path"]).expanduser()
        self._lock = threading.Lock()
        with contextlib.suppress(OSError):  # status() reports the problem; writes raise it
            self.root.mkdir(parents=True, exist_ok=True)

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        force: bool = False,
        source_dir: str | None = None,
        applied: bool = False,
    ) -> ApplyResult:
        path = self._path(ResourceKey.of(manifest))
        if BEFORE_DELETE in ((manifest.get("metadata") or {}).get("annotations") or {}):
            raise TargetRejectedError(
                f"{ResourceKey.of(manifest)}: a directory target cannot run the Job its annotation "
                f"{BEFORE_DELETE} asks to run before it is deleted",
                Location(path=f"metadata.annotations.{BEFORE_DELETE}"),
                hint="on a directory target, bind with onDelete: keep (the default)",
            )
        manifest = self._with_generated(manifest)
        content = _render(manifest)
        with self._lock:
            try:
                if _read_own(path) == content:
                    return ApplyResult(False, copy.deepcopy(dict(manifest)))
            except _ForeignFile:
                raise self._foreign(path, "overwrite") from None
            _write_atomically(path, content, private=manifest.get("kind") == "Secret")
        return ApplyResult(True, copy.deepcopy(dict(manifest)))

    def _with_generated(self, manifest: Mapping[str, Any]) -> Mapping[str, Any]:
        """A Secret asking for generated keys (`generated_secrets`) with them: the values its file
        already holds, else new ones (or the named Secret's), so a rewrite never changes them."""
        keys = generated_secrets.wanted(manifest)
        if not keys:
            return manifest
        key = ResourceKey.of(manifest)
        kept = dict((self.get(key) or {}).get("data") or {})
        have = {k: str(kept[k]) for k in keys if kept.get(k)}
        lacking = generated_secrets.missing(keys, {"data": have})
        if lacking:
            origin = generated_secrets.source(manifest, str(key))
            if origin is None:
                have |= generated_secrets.generated(lacking)
            else:
                found = self.get(ResourceKey("v1", "Secret", origin[0], origin[1]))
                have |= generated_secrets.copied(lacking, found, "/".join(origin), str(key))
        return {**manifest, "data": {**dict(manifest.get("data") or {}), **have}}

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The object as written; None when absent, or when the file there is not Vessel's."""
        path = self._path(key)
        try:
            content = _read_own(path)
        except _ForeignFile:
            return None
        return None if content is None else _parse(path, content)

    def delete(self, key: ResourceKey) -> bool:
        path = self._path(key)
        with self._lock:
            try:
                if _read_own(path) is None:
                    return False
            except _ForeignFile:
                raise self._foreign(path, "delete") from None
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise _unavailable(path, exc) from exc
            for parent in (path.parent, path.parent.parent):  # empty kind and namespace folders
                try:
                    parent.rmdir()
                except OSError:
                    break
        return True

    def list_owned(self, app: str, namespace: str) -> list[dict[str, Any]]:
        owned = []
        try:
            paths = sorted(self.root.glob("*/*/*.yaml"))
        except OSError as exc:
            raise _unavailable(self.root, exc) from exc
        for path in paths:
            try:
                content = _read_own(path)
            except _ForeignFile:
                continue
            if content is None:  # deleted since the listing
                continue
            obj = _parse(path, content)
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if labels.get(APP_LABEL) == app and labels.get(APP_NAMESPACE_LABEL, namespace) == namespace:
                owned.append(obj)
        return owned

    def logs(
        self,
        key: ResourceKey,
        tail: int | None = None,
        follow: bool = False,
        *,
        since: float | None = None,
        timestamps: bool = False,
    ) -> Iterator[str]:
        return iter(())

    def instances(self, key: ResourceKey) -> list[Instance]:
        return []

    def cluster_version(self) -> str | None:
        return self.version

    def status(self) -> TargetStatus:
        if not self.root.is_dir():
            return TargetStatus(False, message=f"{self.root} does not exist or is not a directory")
        if not os.access(self.root, os.W_OK | os.X_OK):
            return TargetStatus(False, message=f"{self.root} is not writable")
        return TargetStatus(True, "directory", str(self.root))

    def close(self) -> None:
        return None

    def _path(self, key: ResourceKey) -> Path:
        """The object's file, every part checked so that no name can reach outside the root."""
        group = key.api_version.rpartition("/")[0] or "core"
        kind = _segment(key.kind, "kind").lower()
        return (
            self.root
            / (_segment(key.namespace, "metadata.namespace") if key.namespace else CLUSTER_DIR)
            / f"{kind}.{_segment(group, 'apiVersion')}"
            / f"{_segment(key.name, 'metadata.name')}.yaml"
        )

    def _foreign(self, path: Path, action: str) -> TargetRejectedError:
        return TargetRejectedError(
            f"{path} was not written by Vessel (no marker line); refusing to {action} it",
            hint=f"target {self.info.name!r}: move the file away or rename the resource",
        )


def _segment(value: str, field: str) -> str:
    """One path component taken from a field: non-empty, no separators, no leading dot, not too long."""
    bad = (
        not value
        or value.startswith(".")
        or any(c in value for c in "/\\\0")
        or len(value.encode()) + len(".yaml") > _NAME_MAX
    )
    if bad:
        raise TargetRejectedError(
            f"{value!r} cannot be used as a file or directory name",
            Location(path=field),
            hint="it must be non-empty, without '/', '\\' or NUL, must not start with '.', and be short",
        )
    return value


def _render(manifest: Mapping[str, Any]) -> bytes:
    """The file's exact content: the marker line, then the manifest as block YAML in its own key order."""
    labels = (manifest.get("metadata") or {}).get("labels") or {}
    app = str(labels.get(APP_LABEL, ""))
    if "\n" in app or "\r" in app:
        raise TargetRejectedError(
            f"{app!r} contains a line break", Location(path=f"metadata.labels.{APP_LABEL}")
        )
    try:
        body = yaml.dump(dict(manifest), Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:
        raise TargetRejectedError(f"{ResourceKey.of(manifest)} cannot be written as YAML: {exc}") from exc
    return MARKER + f"{app} — do not edit\n{body}".encode()


def _read_own(path: Path) -> bytes | None:
    """The file's content if Vessel wrote it, None if absent; _ForeignFile (unread past the marker's length)
    if someone else did."""
    try:
        with path.open("rb") as file:
            head = file.read(len(MARKER))
            if head != MARKER:
                raise _ForeignFile(path)
            return head + file.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unavailable(path, exc) from exc


def _parse(path: Path, content: bytes) -> dict[str, Any]:
    try:
        obj = yaml.load(content, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise TargetRejectedError(f"{path} is not valid YAML (edited by hand?): {exc}") from exc
    if not isinstance(obj, dict):
        raise TargetRejectedError(f"{path} does not hold a mapping (edited by hand?)")
    return obj


def _write_atomically(path: Path, content: bytes, *, private: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers see the old or the new file,
    never half of one, and a failure leaves no temporary file, nor a folder it created, behind. `private`:
    0600, else the umask decides the mode."""
    temp = path.parent / f".vessel-{secrets.token_hex(8)}.tmp"  # never matches `*.yaml`
    created = [folder for folder in (path.parent.parent, path.parent) if not folder.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        for folder in reversed(created):  # the kind and namespace folders this write made, if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise _unavailable(path, exc) from exc
        raise


def _unavailable(path: Path, exc: OSError) -> TargetUnavailableError:
    return TargetUnavailableError(f"{path}: {exc.strerror or exc}")
