"""A cgroup v2 per replica, where the machine lets Vessel make one: the one record of a replica's
processes that nothing inside it can leave.

A process can leave its process group and its session (`setsid`), double-fork so that its parent is
gone, and replace its environment, launch token included — but it cannot leave its cgroup without write
access to a cgroup outside (as root it could, on purpose; Vessel does not defend against a hostile
workload of the same user). So each incarnation of a replica gets the cgroup `vessel/<launch token>`
below the cgroup the starting `vessel` process runs in, made before the shim starts; the shim moves
itself into it before it starts the workload, so every process of the replica is born inside. Its path
is recorded with the replica (and in the launch file, before anything runs), so any later `vessel`
process can list its members (`cgroup.procs`), kill them all at once (`cgroup.kill`, Linux 5.14; one by
one before that) and remove it — also after the shim itself was SIGKILLed. The path is written down
before the cgroup is made, so no cgroup of Vessel's is ever unrecorded; the `vessel` directory itself
stays, empty (another Vessel process may be making a cgroup in it right now).

Where Vessel cannot create cgroups (no cgroup v2 mounted, a cgroup v1 machine, a user without a
delegated subtree — most laptops' login shells), `place()` is None and the replica is tracked by its
shim alone, a child subreaper (see `shim`). No controller is enabled: Vessel needs the membership, not
limits, so the cgroups work in any delegated subtree, also next to processes.

Only paths Vessel made are ever acted on: a path is accepted (`owned`) only if it lies in a cgroup2
mount, is named after the launch token it is recorded with, and sits in a `vessel` directory — so an
edited state file cannot make Vessel kill a cgroup of someone else's.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from pathlib import Path

PROC_SELF = Path("/proc/self")
PARENT = "vessel"
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _mounts() -> list[tuple[Path, str]]:
    """Each cgroup2 mount of this process's mount namespace: (mount point, the cgroup it shows)."""
    try:
        lines = (PROC_SELF / "mountinfo").read_text().splitlines()
    except OSError:
        return []
    mounts = []
    for line in lines:
        fields, _, tail = line.partition(" - ")
        parts = fields.split()
        if tail.split()[:1] == ["cgroup2"] and len(parts) >= 5:
            mounts.append((Path(_unescape(parts[4])), _unescape(parts[3])))
    return mounts


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _own() -> str | None:
    """This process's cgroup in the v2 hierarchy (`0::/path` in /proc/self/cgroup)."""
    try:
        lines = (PROC_SELF / "cgroup").read_text().splitlines()
    except OSError:
        return None
    return next((line[3:] for line in lines if line.startswith("0::")), None)


def _own_directory() -> Path | None:
    own = _own()
    if own is None:
        return None
    for mount, shown in _mounts():
        if own == shown or own.startswith(shown.rstrip("/") + "/"):
            path = mount / own[len(shown) :].lstrip("/")
            return path if (path / "cgroup.procs").is_file() else None
    return None


def place() -> Path | None:
    """The directory this process makes replica cgroups in (created), or None where it cannot."""
    directory = _own_directory()
    if directory is None:
        return None
    parent = directory / PARENT
    try:
        parent.mkdir(exist_ok=True)
    except OSError:
        return None
    return parent if os.access(parent, os.W_OK) else None


def plan(token: str) -> Path | None:
    """Where the cgroup of the incarnation `token` goes, or None where this machine allows none. It is
    written down (`state.write_launch`) before it is made, so no cgroup of Vessel's is ever unrecorded."""
    parent = place()
    return None if parent is None else parent / token


def make(path: Path) -> bool:
    try:
        path.mkdir()
    except OSError:
        return False
    return True


def owned(path: str, token: str) -> Path | None:
    """`path` as a cgroup Vessel made for `token`, or None if it is not one (see the module docstring)."""
    if not path or not _TOKEN.fullmatch(token):
        return None
    candidate = Path(path)
    if candidate.name != token or candidate.parent.name != PARENT:
        return None
    if not any(candidate.is_relative_to(mount) for mount, _ in _mounts()):
        return None
    return candidate


def pids(path: Path) -> list[int]:
    """The processes in the cgroup (none when it is gone)."""
    try:
        text = (path / "cgroup.procs").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


def kill(path: Path) -> None:
    """SIGKILL every process in the cgroup, at once where the kernel can (`cgroup.kill`)."""
    try:
        (path / "cgroup.kill").write_text("1")
        return
    except FileNotFoundError:
        if not path.is_dir():
            return
    except OSError:
        pass
    for pid in pids(path):  # before Linux 5.14; the caller's polling catches a racing fork
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def remove(path: Path) -> None:
    """Remove the cgroup once it is empty (an occupied one stays, and says so by its members)."""
    with contextlib.suppress(OSError):
        path.rmdir()
