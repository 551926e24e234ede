"""`local`: run applications as processes on this machine, no container engine needed.

    targets:
      - name: laptop
        type: local
        config: {path: ~/.vessel/local, ports: "20000-20999", grace: 5, minReadySeconds: 1, cgroups: true}

It takes `Service`, `Task` and `CronTask` objects of `local.vessel.dev/v1` (see `objects`), keeps each
object's state in its own directory under `path` (see `state`), and starts the processes detached, so
they outlive the `vessel` command that started them; every later call — from this process or another —
adopts them again from the state file. Calls on one object are serialised by a thread lock and an flock,
so two `vessel` processes applying at once never start a replica twice.

`apply` converges (starts, stops, replaces, restarts after back-off) and says what it did beyond writing
the object (`ApplyResult.actions`: restarts, liveness kills, orphans swept), so the controller can leave
an event for each; `get` observes (probes, crashes, log rotation) and starts only what a CronTask
schedule says is due; `delete` stops everything gracefully, kills whatever else carries one of the
object's launch tokens or sits in one of its cgroups (an apply killed mid-start, a daemon that escaped),
checks /proc that nothing of it is left — and if something is, says which processes and keeps the state,
so the delete is retried rather than reported done — and then removes the state.

`grace` is how long a stopped process gets between SIGTERM and SIGKILL; `minReadySeconds` how long a
replica must stay up before it counts as ready (an object's own `spec.minReadySeconds` wins); `cgroups:
false` tracks replicas by their shim alone even where Vessel could make cgroups (see `cgroups`). The
state directory is created 0700: it holds env values and logs.

Where the Application file lives (`source_dir` of `apply`) is kept in the object's state, outside its
manifest, for `$(VESSEL_SOURCE_DIR)` (see `source_dir`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from vessel.errors import Location, TargetRejectedError, TargetUnavailableError, ValidationError
from vessel.home import private_directory
from vessel.model.resource_key import ResourceKey
from vessel.targets import settings
from vessel.targets.local import bindings, logs, objects, orphans, procfs, status
from vessel.targets.local.objects import CRON_TASK, SERVICE, TASK, Workload
from vessel.targets.local.ports import DEFAULT_RANGE, PortBook, parse_range
from vessel.targets.local.reconcile import Pass, Runner
from vessel.targets.local.source_dir import check as check_source_dir
from vessel.targets.local.state import (
    STATE_FILE,
    ObjectState,
    load,
    log_file,
    object_lock,
    save,
)
from vessel.targets.local.supervisor import Supervisor, not_ended
from vessel.targets.protocol import (
    APP_LABEL,
    APP_NAMESPACE_LABEL,
    Action,
    ApplyResult,
    ContainerState,
    Instance,
    TargetInfo,
    TargetStatus,
)

DEFAULT_GRACE = 5.0
DEFAULT_MIN_READY = 1.0
DEFAULT_NAMESPACE = "default"
NO_APP = "_none"
_NAME_MAX = 200
_SERVER_META = ("generation", "resourceVersion", "uid", "creationTimestamp", "managedFields")


class LocalTarget:
    live_state = True

    def __init__(self, info: TargetInfo):
        path = info.config.get("path")
        if not isinstance(path, str | os.PathLike) or not str(path):
            raise ValidationError(
                f"target {info.name!r} needs a directory for its state", Location(path="config.path")
            )
        grace = settings.seconds(info, "grace", DEFAULT_GRACE, allow_zero=True)
        self.min_ready = settings.seconds(info, "minReadySeconds", DEFAULT_MIN_READY, allow_zero=True)
        self.info = info
        self.root = Path(path).expanduser()
        self._supervisor = Supervisor(grace, use_cgroups=settings.flag(info, "cgroups", True))
        self._ports = PortBook(self.root, parse_range(info.config.get("ports", DEFAULT_RANGE), info.name))
        self._runner = Runner(info.name, self._supervisor, self._ports, self._reservations)
        self._dirs: dict[ResourceKey, Path] = {}
        self._lock = threading.Lock()
        with contextlib.suppress(OSError):  # status() reports the problem; calls raise it
            private_directory(self.root)

    # -- the Target protocol -------------------------------------------------------------------------

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        force: bool = False,
        source_dir: str | None = None,
        applied: bool = False,
    ) -> ApplyResult:
        """Converge the object's processes on the manifest. `force` changes nothing here: the target has no
        other field managers to override, nor does `applied` (every apply converges the processes: a
        crashed replica is restarted whatever the manifest). `source_dir` (when given) is what
        VESSEL_SOURCE_DIR is from now on; without it the one recorded earlier stays."""
        self._require_proc()
        workload = objects.parse(manifest, self.info.name)
        bindings.provision_all(manifest)  # the shared services' credentials its env reads, first
        workload.container.check_secrets()  # refused before anything is made, naming the file to create
        desired = _plain(manifest)
        with self._claimed(workload) as (directory, found), self._no_trace_if_refused(directory, found):
            if found is not None:  # bindings taken away: released first, so a failure changes nothing
                elsewhere = functools.partial(self._bound_elsewhere, directory)
                bindings.release_removed(found.manifest, manifest, elsewhere)
            now, run = time.time(), Pass()
            state = found or ObjectState(manifest=desired, boot_id=self._runner.boot)
            state.source_dir = source_dir or state.source_dir
            check_source_dir(workload, state.source_dir)
            if found is None:
                save(directory, state)  # before any process starts: a delete finds the object whatever
                # happens to this call
            swept = orphans.sweep(directory, state)  # left by an apply killed before it recorded them
            if swept:
                run.actions.append(Action("Swept", _swept(swept), warning=True))
            before = None if found is None else state.to_json()
            changed = found is None or state.manifest != desired
            if found is not None and changed:
                state.generation += 1
            state.manifest = desired
            self._runner.observe(directory, state, workload, now)
            if workload.kind == SERVICE:
                self._runner.service(directory, state, workload, now, run)
            elif workload.kind == TASK:
                self._runner.task(directory, state, workload, now, run)
            else:
                self._runner.cron_task(directory, state, workload, now, run, retry=True)
            live = self._finish(directory, state, workload, now, run, before)
        return ApplyResult(changed or run.acted, live, tuple(run.actions))

    @contextlib.contextmanager
    def _no_trace_if_refused(self, directory: Path, found: ObjectState | None) -> Iterator[None]:
        """A new object this target refuses (TargetRejectedError) before it launched anything leaves no
        directory behind: the engine forgets its claim and the name is free again. One that launched a
        process keeps its state, so a delete still finds what it started."""
        try:
            yield
        except TargetRejectedError:
            if found is None and not orphans.launched(directory):
                self._remove(directory)
            raise

    @contextlib.contextmanager
    def _existing(self, key: ResourceKey) -> Iterator[tuple[Path, ObjectState] | None]:
        """The object's directory and state, locked, or None if this target holds no such object."""
        if key.api_version != objects.API_VERSION or key.kind not in objects.KINDS:
            yield None
            return
        self._require_proc()
        directory = self._find(key)
        if directory is None:
            yield None
            return
        with object_lock(directory, create=False) as present:
            state = load(directory) if present else None
            if state is None or ResourceKey.of(state.manifest) != key:
                self._forget(key)
                yield None
                return
            yield directory, state

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object: processes observed, due probes run, crashes reported (never restarted), logs
        rotated; a CronTask whose schedule fell due starts its run."""
        with self._existing(key) as found:
            if found is None:
                return None
            directory, state = found
            workload = objects.parse(state.manifest, self.info.name)
            now, run, before = time.time(), Pass(), state.to_json()
            self._runner.observe(directory, state, workload, now)
            if workload.kind == CRON_TASK:
                self._runner.cron_task(directory, state, workload, now, run, retry=False)
            return self._finish(directory, state, workload, now, run, before)

    def delete(self, key: ResourceKey) -> bool:
        """Stop every process of the object (gracefully, see `supervisor`), kill whatever else of it is
        alive (see `orphans.sweep_all`), and remove its directory — only once /proc shows nothing of it
        left; else TargetUnavailableError naming the processes, and the state stays for the retry."""
        with self._existing(key) as found:
            if found is None:
                return False
            directory, state = found
            try:
                self._runner.stop_all(directory, state)
                left = orphans.sweep_all(directory, state)
                if left.alive:
                    raise not_ended(left.pids)
                # `onDelete: drop`, once nothing of it still runs
                bindings.release_all(state.manifest, functools.partial(self._bound_elsewhere, directory))
            except TargetUnavailableError as exc:
                raise TargetUnavailableError(
                    f"{key} on target {self.info.name!r} is not deleted: {exc.message}", hint=exc.hint
                ) from exc
            self._remove(directory)
            self._forget(key)
        return True

    def list_owned(self, app: str, namespace: str) -> list[dict[str, Any]]:
        owned = []
        for _, state in self._states():
            labels = (state.manifest.get("metadata") or {}).get("labels") or {}
            if labels.get(APP_LABEL) == app and labels.get(APP_NAMESPACE_LABEL, namespace) == namespace:
                live = self.get(ResourceKey.of(state.manifest))
                if live is not None:
                    owned.append(live)
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
        """Each replica's log lines, prefixed with the replica's name (`web-0 | …`), replica after replica;
        `tail` applies to each replica, then `since` (as the kubelet does). Followed, the replicas' files
        are read like `tail -F` (see `logs.follow`: rotation survived, replicas started later included)
        until the object is deleted. Lines carry the shim's stamps (see `logs.shown`)."""
        directory = self._find(key)
        state = load(directory) if directory is not None else None
        if directory is None or state is None:
            return iter(())
        cutoff = None if since is None else logs.stamp_of(time.time() - since)
        if follow:
            found = directory

            def replicas() -> dict[str, Path] | None:  # asked again at every look: scaling is followed
                now = load(found)
                return None if now is None else {p.name: log_file(found, p.name) for p in now.replicas}

            pairs: Iterator[tuple[str, str]] = logs.follow(replicas, tail)
        else:
            names = [p.name for p in state.replicas]
            pairs = ((name, line) for name in names for line in logs.lines(log_file(directory, name), tail))
        return (
            f"{name} | {text}"
            for name, line in pairs
            if (text := logs.shown(line, cutoff, timestamps)) is not None
        )

    def instances(self, key: ResourceKey) -> list[Instance]:
        """Each replica (or task run) as an instance with one container, its process; failing while it
        is not ready after ending abnormally (see `status`)."""
        live = self.get(key)
        procs = ((live or {}).get("status") or {}).get("processes") or []
        return [
            Instance(
                p["name"],
                p["phase"],
                p["ready"],
                (ContainerState(p["name"], p["ready"], p["restarts"], p["phase"]),),
                p["message"],
                "" if p["ready"] else p["failure"],
            )
            for p in procs
        ]

    def cluster_version(self) -> str | None:
        return None

    def status(self) -> TargetStatus:
        if not procfs.available():
            return TargetStatus(False, "local", "needs /proc (Linux or WSL) to keep track of processes")
        if not self.root.is_dir():
            return TargetStatus(False, "local", f"{self.root} does not exist or is not a directory")
        if not os.access(self.root, os.W_OK | os.X_OK):
            return TargetStatus(False, "local", f"{self.root} is not writable")
        return TargetStatus(True, "local", str(self.root))

    def close(self) -> None:
        """Nothing to stop: the processes are meant to outlive this object. Children that ended are reaped."""
        self._supervisor.reap()

    # -- internals -----------------------------------------------------------------------------------

    def _finish(
        self,
        directory: Path,
        state: ObjectState,
        workload: Workload,
        now: float,
        run: Pass,
        before: dict[str, Any] | None,
    ) -> dict[str, Any]:
        min_ready = self.min_ready if workload.min_ready is None else workload.min_ready
        status.run_probes(directory, state, workload, now, run.started, min_ready)
        status.sync_backends(directory, state)
        status.rotate_logs(directory)
        self._supervisor.reap()
        if before is None or state.to_json() != before:
            save(directory, state)
        with self._lock:
            self._dirs[workload.key] = directory
        return status.live(state, workload)

    @contextlib.contextmanager
    def _claimed(self, workload: Workload) -> Iterator[tuple[Path, ObjectState | None]]:
        """The object's directory, locked, with its state (None for a new object). A new object takes
        `<namespace>/<app>/<component>`, or a longer name when another object holds that one."""
        known = self._find(workload.key)
        candidates = [known] if known is not None else []
        candidates += [c for c in self._candidates(workload) if c != known]
        for directory in candidates:
            with object_lock(directory, create=True):
                state = load(directory)
                if state is not None and ResourceKey.of(state.manifest) != workload.key:
                    continue
                yield directory, state
                return
        raise TargetRejectedError(f"{workload.key}: no directory left for it under {self.root}")

    def _candidates(self, workload: Workload) -> list[Path]:
        key = workload.key
        base = (
            self.root
            / _segment(key.namespace or DEFAULT_NAMESPACE, "metadata.namespace")
            / _segment(workload.app or NO_APP, f"metadata.labels.{APP_LABEL}")
        )
        component = _segment(workload.component, f"metadata.labels.{objects.COMPONENT_LABEL}")
        kind = key.kind.lower()
        name = _segment(key.name, "metadata.name")
        return [base / component, base / f"{component}.{kind}", base / f"{component}.{kind}.{name}"]

    def _find(self, key: ResourceKey) -> Path | None:
        """The directory holding the object's state, if there is one."""
        with self._lock:
            cached = self._dirs.get(key)
        if cached is not None and _key_at(cached) == key:
            return cached
        namespace = key.namespace or DEFAULT_NAMESPACE
        if not namespace or "/" in namespace or namespace.startswith("."):
            return None
        for path in sorted((self.root / namespace).glob(f"*/*/{STATE_FILE}")):
            if _key_at(path.parent) == key:
                with self._lock:
                    self._dirs[key] = path.parent
                return path.parent
        return None

    def _forget(self, key: ResourceKey) -> None:
        with self._lock:
            self._dirs.pop(key, None)

    def _states(self) -> Iterator[tuple[Path, ObjectState]]:
        for path in sorted(self.root.glob(f"*/*/*/{STATE_FILE}")):
            try:
                state = load(path.parent)
            except TargetUnavailableError:
                continue
            if state is not None:
                yield path.parent, state

    def _bound_elsewhere(self, exclude: Path) -> bindings.Bound:
        """What the other objects of this target bind to (their shared databases and users)."""
        bound: bindings.Bound = set()
        for directory, state in self._states():
            if directory != exclude:
                with contextlib.suppress(TargetRejectedError):
                    bound |= bindings.names(state.manifest)
        return bound

    def _reservations(self, exclude: Path) -> dict[int, str]:
        """Ports held by the other objects of this target: replicas', balancers' and declared ones."""
        held: dict[int, str] = {}
        for directory, state in self._states():
            if directory == exclude:
                continue
            meta = state.manifest.get("metadata") or {}
            labels = meta.get("labels") or {}
            who = (
                f"component {labels.get(objects.COMPONENT_LABEL) or meta.get('name')!r}"
                f" of application {labels.get(APP_LABEL) or '?'!r}"
            )
            declared = (state.manifest.get("spec") or {}).get("port")
            if isinstance(declared, int):
                held[declared] = who
            if state.balancer is not None and state.balancer.port is not None:
                held[state.balancer.port] = f"the balancer of {who}"
            for proc in state.replicas:
                if proc.port is not None:
                    held.setdefault(proc.port, f"replica {proc.name} of {who}")
        return held

    def _remove(self, directory: Path) -> None:
        try:
            shutil.rmtree(directory)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise TargetUnavailableError(f"{directory} cannot be removed: {exc.strerror or exc}") from exc
        for parent in (directory.parent, directory.parent.parent):  # empty app and namespace folders
            try:
                parent.rmdir()
            except OSError:
                break

    def _require_proc(self) -> None:
        if not procfs.available():
            raise TargetRejectedError(
                f"target {self.info.name!r}: the local target needs /proc (Linux or WSL) to track processes"
            )


def _swept(pids: list[int]) -> str:
    which = ", ".join(str(p) for p in pids)
    return f"stopped process(es) {which}: an interrupted apply started them but never recorded them"


def _key_at(directory: Path) -> ResourceKey | None:
    try:
        raw = json.loads((directory / STATE_FILE).read_bytes())
        return ResourceKey.of(raw["manifest"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _plain(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest as stored: plain JSON data, without status and server-set metadata."""
    data = json.loads(json.dumps(dict(manifest), default=str))
    data.pop("status", None)
    meta = data.get("metadata")
    if isinstance(meta, dict):
        for field in _SERVER_META:
            meta.pop(field, None)
    return dict(data)


def _segment(value: str, field: str) -> str:
    """One directory name taken from a field: non-empty, no separators, no leading dot, not too long."""
    if (
        not value
        or value.startswith(".")
        or any(c in value for c in "/\\\0")
        or len(value.encode()) > _NAME_MAX
    ):
        raise TargetRejectedError(
            f"{value!r} cannot be used as a directory name",
            Location(path=field),
            hint="it must be non-empty, without '/', '\\' or NUL, must not start with '.', and be short",
        )
    return value
