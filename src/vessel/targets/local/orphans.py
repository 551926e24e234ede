"""Orphans: processes an interrupted apply started but never recorded — found by a token, never by a guess.

Starting a replica and recording it in the state file are two steps; a Vessel process killed between them
leaves a running shim (or balancer, or workload) that no state names — holding a port, doubling a
replica. So before it starts anything, the target writes a *launch token* (128 random bits) into the
object's `run/` directory as `<token>.launch` (with the path of the cgroup made for it, where the machine
allows one), and starts the process with `VESSEL_LAUNCH=<token>` in its environment, which everything it
starts inherits. Under the object's lock (the only place processes are started), a token on disk that
the state does not name belongs to an interrupted start, and its processes are killed (`sweep`); deleting
the object kills the processes of every token it ever wrote down and has not forgotten (`sweep_all`), so
nothing of it survives its state, and says which processes did not end (`Leftovers`).

The processes of a token are found every way there is, because each alone can be escaped: the processes
whose environment carries it (an env scrubbed with `env -i` does not), their process groups (`setsid`
leaves), the trees below them (the shim is a child subreaper, so this holds while it lives: see `shim`),
and its cgroup (nothing inside can leave it; see `cgroups`).

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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vessel.targets.local import cgroups, procfs
from vessel.targets.local.state import (
    ObjectState,
    forget_exit,
    launch_cgroup,
    launch_tokens,
    write_launch,
)

ENV = "VESSEL_LAUNCH"
KILL_TIMEOUT = 3.0  # SIGKILL is asynchronous: how long the kernel gets to end what was killed
POLL = 0.02


@dataclass(frozen=True)
class Leftovers:
    """What was killed, and what was still alive when the time was up (nothing, normally)."""

    killed: tuple[int, ...]
    alive: tuple[procfs.ProcStat, ...]

    @property
    def pids(self) -> tuple[int, ...]:
        """The processes still alive."""
        return tuple(p.pid for p in self.alive)


def new_token() -> str:
    return secrets.token_hex(16)


def intend(run_dir: Path, token: str, cgroup: Path | None = None) -> None:
    """Write the token down (durably) in the object's `run/` before anything carrying it can exist."""
    write_launch(run_dir, token, cgroup)


def launched(directory: Path) -> bool:
    """Whether anything was ever started for the object (and not yet forgotten)."""
    return bool(launch_tokens(directory))


def _recorded(state: ObjectState) -> set[str]:
    procs = [*state.replicas, *([state.balancer] if state.balancer is not None else [])]
    return {p.token for p in procs if p.token}


def sweep(directory: Path, state: ObjectState) -> list[int]:
    """Kill the processes of tokens written down that the state does not record; the pids killed. The
    tokens are forgotten once nothing of theirs is left."""
    pending = launch_tokens(directory) - _recorded(state)
    if not pending:
        return []
    left = kill(pending, _cgroups_of(directory, pending))
    if not left.alive:
        for token in pending:
            forget_exit(directory, token)
    return list(left.killed)


def sweep_all(directory: Path, state: ObjectState) -> Leftovers:
    """Kill every process of every token the object wrote down or records (deleting it: whatever the
    graceful stop left); and report what is still alive after KILL_TIMEOUT."""
    procs = [*state.replicas, *([state.balancer] if state.balancer is not None else [])]
    recorded = {owned for p in procs if (owned := cgroups.owned(p.cgroup, p.token)) is not None}
    tokens = launch_tokens(directory) | _recorded(state)
    return kill(tokens, _cgroups_of(directory, tokens) | recorded)


def _cgroups_of(directory: Path, tokens: set[str]) -> set[Path]:
    return {c for t in tokens if (c := launch_cgroup(directory, t)) is not None}


def kill(tokens: set[str], groups: set[Path]) -> Leftovers:
    """SIGKILL every process of the tokens and cgroups (see `of_tokens`) until none is left, or
    KILL_TIMEOUT has passed; the cgroups are removed once empty."""
    markers = {f"{ENV}={t}".encode() for t in tokens if t}
    killed: set[int] = set()
    deadline = time.monotonic() + KILL_TIMEOUT
    while left := of_tokens(markers, groups, procfs.scan()):
        if time.monotonic() > deadline:
            return Leftovers(tuple(sorted(killed)), tuple(left))
        for cgroup in groups:
            cgroups.kill(cgroup)
        for stat in left:
            with contextlib.suppress(OSError):
                os.kill(stat.pid, signal.SIGKILL)
            killed.add(stat.pid)
        time.sleep(POLL)
    for cgroup in groups:
        cgroups.remove(cgroup)
    return Leftovers(tuple(sorted(killed)), ())


def of_tokens(
    markers: set[bytes], groups: Iterable[Path], table: dict[int, procfs.ProcStat]
) -> list[procfs.ProcStat]:
    """The live processes of the tokens (`VESSEL_LAUNCH=<token>` markers) and cgroups: carriers, their
    process groups (but never this process's own) and descendants, and the cgroups' members — never this
    process itself."""
    found: dict[int, procfs.ProcStat] = {}
    carriers = [s for s in table.values() if not s.dead and _carries(s.pid, markers)] if markers else []
    own_group = os.getpgrp()
    for carrier in carriers:
        found[carrier.pid] = carrier
        found.update((d.pid, d) for d in procfs.descendants(carrier.pid, table))
        if carrier.pgrp != own_group:
            found.update((s.pid, s) for s in table.values() if s.pgrp == carrier.pgrp and not s.dead)
    for cgroup in groups:
        found.update((pid, table[pid]) for pid in cgroups.pids(cgroup) if pid in table)
    found.pop(os.getpid(), None)
    return [s for s in found.values() if not s.dead]


def _carries(pid: int, markers: set[bytes]) -> bool:
    environ = procfs.environ(pid)  # None: gone, or another user's — not something Vessel started
    return environ is not None and any(entry in markers for entry in environ.split(b"\0"))
