"""Orphans: processes an interrupted apply started but never recorded — found by a token, never by a guess.

Starting a replica and recording it in the state file are two steps; a Vessel process killed between them
leaves a running shim (or balancer, or workload) that no state names — holding a port, doubling a
replica. So before it starts anything, the target writes a *launch token* (128 random bits) into the
object's `run/` directory as `<token>.launch`, and starts the process with `VESSEL_LAUNCH=<token>` in its
environment, which everything it starts inherits. Under the object's lock (the only place processes are
started), a token on disk that the state does not name belongs to an interrupted start: every process
whose environment carries it is ours and unrecorded, and its process group is killed.

Why not the command line or the working directory, as before: they name a place, not an origin. A user's
`tail -F` of a replica log, or a shell `cd`'d into the app's work directory, matched them and was
SIGKILLed by the next apply. A process carries the token only if a process Vessel started passed it on,
and nobody can guess it. Reading another process's environment needs the same user, which is exactly
the processes Vessel can have started; the others are skipped.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from pathlib import Path

from vessel.targets.local import procfs
from vessel.targets.local.state import LAUNCH_SUFFIX as SUFFIX
from vessel.targets.local.state import RUN_DIR, ObjectState

ENV = "VESSEL_LAUNCH"


def new_token() -> str:
    return secrets.token_hex(16)


def intend(run_dir: Path, token: str) -> None:
    """Write the token down (durably) in the object's `run/` before anything carrying it can exist."""
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / f"{token}{SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _recorded(state: ObjectState) -> set[str]:
    procs = [*state.replicas, *([state.balancer] if state.balancer is not None else [])]
    return {p.token for p in procs if p.token}


def _pending(directory: Path, state: ObjectState) -> set[str]:
    """Tokens written down for a start that the state does not record."""
    try:
        names = os.listdir(directory / RUN_DIR)
    except OSError:
        return set()
    tokens = {n[: -len(SUFFIX)] for n in names if n.endswith(SUFFIX)}
    return tokens - _recorded(state)


def _carrier(pid: int, markers: set[bytes]) -> bool:
    try:
        environ = (procfs.PROC / str(pid) / "environ").read_bytes()
    except OSError:  # gone, or another user's: not something Vessel started
        return False
    return any(entry in markers for entry in environ.split(b"\0"))


def sweep(directory: Path, state: ObjectState) -> list[int]:
    """Kill the process groups of processes carrying a token the state does not record; the groups
    killed. The tokens are forgotten once nothing carries them any more."""
    pending = _pending(directory, state)
    if not pending:
        return []
    markers = {f"{ENV}={t}".encode() for t in pending}
    killed: list[int] = []
    for pid, stat in procfs.scan().items():
        if stat.dead or pid == os.getpid() or stat.pgrp in killed or not _carrier(pid, markers):
            continue
        if stat.pgrp != os.getpgrp():
            with contextlib.suppress(OSError):
                os.killpg(stat.pgrp, signal.SIGKILL)
                killed.append(stat.pgrp)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # also when it left its group
    if _wait_gone(killed):
        for token in pending:
            with contextlib.suppress(OSError):
                (directory / RUN_DIR / f"{token}{SUFFIX}").unlink()
    return killed


def _wait_gone(groups: list[int], seconds: float = 3.0) -> bool:
    """SIGKILL is asynchronous: wait until the groups are gone, so their ports are free again."""
    deadline = time.monotonic() + seconds
    while groups and time.monotonic() < deadline:
        if not any(s.pgrp in groups and not s.dead for s in procfs.scan().values()):
            return True
        time.sleep(0.02)
    return not groups
