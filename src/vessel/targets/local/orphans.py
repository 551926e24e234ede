"""Orphans: processes an interrupted apply started but never recorded.

Starting a replica and recording it in the state file are two steps; a Vessel process killed between them
leaves a running shim (or balancer) that no state names — holding a port, doubling a replica. Every
process the target starts for an object names that object's directory in its command line, and starting
happens only under the object's lock, so under that lock any such process that the state does not know
is an orphan: its process group is killed before the apply goes on.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from vessel.targets.local import procfs
from vessel.targets.local.state import ObjectState


def _known_groups(state: ObjectState) -> set[int]:
    procs = [*state.replicas, *([state.balancer] if state.balancer is not None else [])]
    return {g for p in procs for g in (p.pgid, p.pid) if g}


def _cmdline(pid: int) -> bytes:
    try:
        return (procfs.PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _cwd(pid: int) -> str:
    try:
        return os.readlink(procfs.PROC / str(pid) / "cwd")
    except OSError:
        return ""


def _started_for(pid: int, markers: set[str]) -> bool:
    """Its command line names the object's directory (shims, balancers) or it runs inside it (a workload
    whose shim died before recording it)."""
    cmdline, cwd = _cmdline(pid), _cwd(pid) + os.sep
    return any(m.encode() in cmdline or cwd.startswith(m) for m in markers)


def sweep(directory: Path, state: ObjectState) -> list[int]:
    """Kill the process groups of unrecorded processes started for `directory`; the groups killed."""
    markers = {str(d) + os.sep for d in (directory, directory.resolve())}
    known = _known_groups(state)
    killed: list[int] = []
    for pid, stat in procfs.scan().items():
        if stat.dead or pid == os.getpid() or stat.pgrp in known or pid in known or stat.pgrp in killed:
            continue
        if not _started_for(pid, markers):
            continue
        try:
            os.killpg(stat.pgrp, signal.SIGKILL)
            killed.append(stat.pgrp)
        except OSError:
            continue
    _wait_gone(killed)
    return killed


def _wait_gone(groups: list[int], seconds: float = 3.0) -> None:
    """SIGKILL is asynchronous: wait until the groups are gone, so their ports are free again."""
    deadline = time.monotonic() + seconds
    while groups and time.monotonic() < deadline:
        if not any(s.pgrp in groups and not s.dead for s in procfs.scan().values()):
            return
        time.sleep(0.02)
