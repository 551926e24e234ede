"""What the local target remembers about one object, on disk, so that any later `vessel` process can adopt
the processes an earlier one started.

Each object has a directory `<root>/<namespace>/<app>/<component>/` holding

    state.json     the manifest last applied and every replica's process identity (written atomically)
    .lock          flock'ed for every change, so two processes never act on the object at once
    work/          the working directory the processes run in
    logs/          one log file per replica (`<replica>.log`, rotated `.1`…`.3`), and `_balancer.log`
    run/           `<token>.launch`, written before a process carrying that token starts (see `orphans`),
                   holding the path of the cgroup made for it, if any (see `cgroups`); and
                   `<token>.exit`, where each replica's shim records how it ended
    backends.json  the ports of the ready replicas, read by the balancer

Everything here is private to the user running Vessel — the state holds the manifest with its env values,
the logs whatever the app prints: directories are created 0700 (the target's root too), files 0600.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vessel.errors import Location, TargetRejectedError, TargetUnavailableError
from vessel.home import private_directory
from vessel.targets.local import cgroups
from vessel.targets.local.probes import ProbeRecord
from vessel.targets.local.procfs import ProcessRef

FORMAT = 1
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
WORK_DIR = "work"
LOGS_DIR = "logs"
RUN_DIR = "run"
LAUNCH_SUFFIX = ".launch"
BACKENDS_FILE = "backends.json"
BALANCER_LOG = "_balancer"  # not a valid replica name (those start with a letter or digit)
LOCK_TIMEOUT = 60.0

# Phases of one replica (or task run).
PENDING = "pending"  # to be started
RUNNING = "running"
EXITED = "exited"  # ended; a Service restarts it after its backoff, a Task retries it on failure
SUCCEEDED = "succeeded"  # a Task run that exited 0
FAILED = "failed"  # a Task run that failed for good


@dataclass
class Proc:
    """One replica of a Service, one run of a Task, or a balancer: its port and the process running it."""

    name: str
    port: int | None = None
    pid: int | None = None  # the workload's process
    start: int | None = None  # its start time, /proc/<pid>/stat field 22
    pgid: int | None = None  # the shim leading its process group
    pgid_start: int | None = None
    cgroup: str = ""  # the incarnation's cgroup, where the machine allows one (see `cgroups`)
    token: str = ""  # names this incarnation's exit file
    phase: str = PENDING
    started_at: float | None = None
    restarts: int = 0
    crashes: int = 0  # consecutive failures, for the backoff
    next_restart: float | None = None
    exit_code: int | None = None
    finished_at: float | None = None
    message: str = ""
    failure: str = ""  # why it last ended abnormally, until it is ready (or done) again: it is failing
    ready: bool = False
    readiness: ProbeRecord = field(default_factory=ProbeRecord)
    liveness: ProbeRecord = field(default_factory=ProbeRecord)

    def ref(self) -> ProcessRef | None:
        return None if self.pid is None or self.start is None else ProcessRef(self.pid, self.start)

    def leader(self) -> ProcessRef | None:
        return (
            None if self.pgid is None or self.pgid_start is None else ProcessRef(self.pgid, self.pgid_start)
        )

    def reset(self) -> None:
        """Forget the process (it has been stopped); keep the name and port."""
        self.pid = self.start = self.pgid = self.pgid_start = None
        self.token = self.cgroup = ""
        self.phase = PENDING
        self.started_at = self.finished_at = self.next_restart = self.exit_code = None
        self.ready = False
        self.message = self.failure = ""
        self.readiness, self.liveness = ProbeRecord(), ProbeRecord()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "port": self.port,
            "pid": self.pid,
            "startTime": self.start,
            "pgid": self.pgid,
            "pgidStartTime": self.pgid_start,
            "cgroup": self.cgroup,
            "token": self.token,
            "phase": self.phase,
            "startedAt": self.started_at,
            "restarts": self.restarts,
            "crashes": self.crashes,
            "nextRestartAt": self.next_restart,
            "exitCode": self.exit_code,
            "finishedAt": self.finished_at,
            "message": self.message,
            "failure": self.failure,
            "ready": self.ready,
            "readiness": self.readiness.to_json(),
            "liveness": self.liveness.to_json(),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Proc:
        return cls(
            name=str(raw["name"]),
            port=raw.get("port"),
            pid=raw.get("pid"),
            start=raw.get("startTime"),
            pgid=raw.get("pgid"),
            pgid_start=raw.get("pgidStartTime"),
            cgroup=str(raw.get("cgroup") or ""),
            token=str(raw.get("token") or ""),
            phase=str(raw.get("phase") or PENDING),
            started_at=raw.get("startedAt"),
            restarts=int(raw.get("restarts") or 0),
            crashes=int(raw.get("crashes") or 0),
            next_restart=raw.get("nextRestartAt"),
            exit_code=raw.get("exitCode"),
            finished_at=raw.get("finishedAt"),
            message=str(raw.get("message") or ""),
            failure=str(raw.get("failure") or ""),
            ready=bool(raw.get("ready")),
            readiness=ProbeRecord.from_json(raw.get("readiness")),
            liveness=ProbeRecord.from_json(raw.get("liveness")),
        )


@dataclass
class ObjectState:
    manifest: dict[str, Any]
    generation: int = 1
    fingerprint: str = ""
    boot_id: str = ""
    created_at: float = field(default_factory=time.time)
    replicas: list[Proc] = field(default_factory=list)
    balancer: Proc | None = None
    last_schedule: float | None = None  # CronTask: the last scheduled time considered (run or skipped)
    last_run: float | None = None  # CronTask: the scheduled time of the last run started
    last_successful: float | None = None  # CronTask
    message: str = ""
    source_dir: str = ""  # the Application file's directory, as the last apply that knew it said

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "manifest": self.manifest,
            "generation": self.generation,
            "fingerprint": self.fingerprint,
            "bootId": self.boot_id,
            "createdAt": self.created_at,
            "replicas": [r.to_json() for r in self.replicas],
            "balancer": None if self.balancer is None else self.balancer.to_json(),
            "lastConsideredTime": self.last_schedule,
            "lastScheduleTime": self.last_run,
            "lastSuccessfulTime": self.last_successful,
            "message": self.message,
            "sourceDir": self.source_dir,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ObjectState:
        balancer = raw.get("balancer")
        return cls(
            manifest=dict(raw["manifest"]),
            generation=int(raw.get("generation") or 1),
            fingerprint=str(raw.get("fingerprint") or ""),
            boot_id=str(raw.get("bootId") or ""),
            created_at=float(raw.get("createdAt") or time.time()),
            replicas=[Proc.from_json(r) for r in raw.get("replicas") or ()],
            balancer=None if balancer is None else Proc.from_json(balancer),
            last_schedule=raw.get("lastConsideredTime"),
            last_run=raw.get("lastScheduleTime"),
            last_successful=raw.get("lastSuccessfulTime"),
            message=str(raw.get("message") or ""),
            source_dir=str(raw.get("sourceDir") or ""),
        )


def load(directory: Path) -> ObjectState | None:
    """The object's state, or None when the directory holds none (or one this version cannot read)."""
    path = directory / STATE_FILE
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TargetUnavailableError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("manifest"), dict):
        return None
    return ObjectState.from_json(raw)


def save(directory: Path, state: ObjectState) -> None:
    write_json(directory / STATE_FILE, state.to_json(), durable=True)


def write_json(path: Path, data: Any, *, durable: bool = False) -> None:
    """Replace `path` atomically: readers see the old content or the new, never half of either."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, sort_keys=False)
            file.flush()
            if durable:
                os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise TargetUnavailableError(f"{path}: {exc.strerror or exc}") from exc


def read_exit(directory: Path, token: str) -> dict[str, Any] | None:
    """What the shim recorded when the incarnation `token` ended, if it has."""
    if not token:
        return None
    try:
        raw = json.loads((directory / RUN_DIR / f"{token}.exit").read_bytes())
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def exit_file(directory: Path, token: str) -> Path:
    return directory / RUN_DIR / f"{token}.exit"


def write_launch(run_dir: Path, token: str, cgroup: Path | None) -> None:
    """Write the token down (durably), with the cgroup made for it, before anything carrying it exists."""
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(run_dir / f"{token}{LAUNCH_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, str(cgroup or "").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def launch_tokens(directory: Path) -> set[str]:
    """Every incarnation written down and not yet forgotten."""
    try:
        names = os.listdir(directory / RUN_DIR)
    except OSError:
        return set()
    return {n[: -len(LAUNCH_SUFFIX)] for n in names if n.endswith(LAUNCH_SUFFIX)}


def launch_cgroup(directory: Path, token: str) -> Path | None:
    """The cgroup made for the incarnation `token`, if it had one (and it is one Vessel made)."""
    try:
        text = (directory / RUN_DIR / f"{token}{LAUNCH_SUFFIX}").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    return cgroups.owned(text.strip(), token)


def forget_exit(directory: Path, token: str) -> None:
    """Forget an incarnation that is over: its cgroup (once empty), exit record and launch token."""
    if token:
        cgroup = launch_cgroup(directory, token)
        if cgroup is not None:
            cgroups.remove(cgroup)
        for path in (exit_file(directory, token), directory / RUN_DIR / f"{token}{LAUNCH_SUFFIX}"):
            with contextlib.suppress(OSError):
                path.unlink()


def log_file(directory: Path, name: str) -> Path:
    return directory / LOGS_DIR / f"{name}.log"


def work_dir(directory: Path, relative: str, component: str) -> Path:
    """The processes' working directory (created), confined to the object's `work/` even through symlinks."""
    base = directory / WORK_DIR
    path = base / relative if relative else base
    try:
        base.mkdir(parents=True, exist_ok=True)
        if not path.resolve().is_relative_to(base.resolve()):  # checked before anything is created there
            raise TargetRejectedError(
                f"component {component!r}: workingDir {relative!r} leads outside the component's directory",
                Location(path="spec.template.spec.containers[0].workingDir"),
            )
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TargetUnavailableError(f"{path}: {exc.strerror or exc}") from exc
    return path


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(directory: Path) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(str(directory), threading.Lock())


@contextlib.contextmanager
def object_lock(directory: Path, *, create: bool) -> Iterator[bool]:
    """Hold the object's locks: a thread lock (within this process) and an flock on `.lock` (across
    processes). Yields False, holding nothing, when the directory does not exist and `create` is False.

    A directory deleted while we waited is noticed (the lock file we locked is no longer the one on disk)
    and the lock is taken again on the new one."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    with _thread_lock(directory):
        while True:
            if not create and not directory.is_dir():
                yield False
                return
            path = directory / LOCK_FILE
            try:
                if create:
                    private_directory(directory)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise TargetUnavailableError(f"{directory}: {exc.strerror or exc}") from exc
            try:
                _flock(fd, directory, deadline)
                try:
                    current = os.stat(path)
                except FileNotFoundError:
                    continue  # deleted while we waited
                if current.st_ino != os.fstat(fd).st_ino:
                    continue
                yield True
                return
            finally:
                os.close(fd)


def _flock(fd: int, directory: Path, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise TargetUnavailableError(f"{directory}: cannot lock: {exc.strerror or exc}") from exc
        if time.monotonic() > deadline:
            raise TargetUnavailableError(
                f"{directory} is locked by another vessel process for more than {LOCK_TIMEOUT:g}s"
            )
        time.sleep(0.01)
