"""Process identity from /proc: a pid alone is not a process, so every process Vessel records is a pid
*and* its start time (field 22 of /proc/<pid>/stat, clock ticks since boot). A recorded process is only
ever adopted or signalled while both still match, so a pid the kernel has since handed to someone else is
never touched. Zombies count as dead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat that identify a process and its group."""

    pid: int
    state: str
    ppid: int
    pgrp: int
    session: int
    start: int

    @property
    def dead(self) -> bool:
        return self.state in ("Z", "X", "x")


@dataclass(frozen=True)
class ProcessRef:
    """One process as recorded: its pid and start time."""

    pid: int
    start: int

    def alive(self) -> bool:
        stat = read_stat(self.pid)
        return stat is not None and stat.start == self.start and not stat.dead


def available() -> bool:
    return (PROC / "self" / "stat").is_file()


def boot_id() -> str:
    """Changes on every boot: recorded processes from another boot are all gone."""
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def read_stat(pid: int) -> ProcStat | None:
    """The process's stat fields, or None when there is no such process."""
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    except OSError:
        return None
    return _parse(pid, raw)


def start_time(pid: int) -> int | None:
    stat = read_stat(pid)
    return None if stat is None else stat.start


def _parse(pid: int, raw: bytes) -> ProcStat | None:
    # The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    _, _, rest = raw.rpartition(b")")
    fields = rest.split()
    if len(fields) < 20:
        return None
    try:
        return ProcStat(
            pid=pid,
            state=fields[0].decode(),
            ppid=int(fields[1]),
            pgrp=int(fields[2]),
            session=int(fields[3]),
            start=int(fields[19]),
        )
    except ValueError:
        return None


def scan() -> dict[int, ProcStat]:
    """Every process on the machine, by pid."""
    table: dict[int, ProcStat] = {}
    try:
        entries = os.listdir(PROC)
    except OSError:
        return table
    for entry in entries:
        if entry.isdigit():
            stat = read_stat(int(entry))
            if stat is not None:
                table[stat.pid] = stat
    return table


def snapshot(pids: Iterable[int]) -> dict[int, ProcStat]:
    """The stat fields of just these processes (those that exist), by pid."""
    table = {}
    for pid in set(pids):
        stat = read_stat(pid)
        if stat is not None:
            table[pid] = stat
    return table


def group_members(pgid: int, leader_start: int, table: dict[int, ProcStat]) -> list[ProcStat]:
    """The live processes of the process group a recorded leader created.

    The kernel never hands out a number while it is still the id of a process group, so if pid `pgid`
    now belongs to a process with another start time, the group we recorded has no members left. Members
    must also have started no earlier than the leader."""
    leader = table.get(pgid)
    if leader is not None and leader.start != leader_start:
        return []
    return [p for p in table.values() if p.pgrp == pgid and not p.dead and p.start >= leader_start]


def descendants(root: int, table: dict[int, ProcStat]) -> list[ProcStat]:
    """The live processes below `root` in the parent tree (not `root` itself). Under a shim — a child
    subreaper — that is everything its replica started, whatever session or group it moved to."""
    children: dict[int, list[ProcStat]] = {}
    for stat in table.values():
        children.setdefault(stat.ppid, []).append(stat)
    found: dict[int, ProcStat] = {}
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child.pid != root and child.pid not in found:
                found[child.pid] = child
                todo.append(child.pid)
    return [p for p in found.values() if not p.dead]


def environ(pid: int) -> bytes | None:
    """The process's environment as it started (NUL-separated), None when gone or another user's."""
    try:
        return (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None


def alive_among(refs: Iterable[ProcessRef], table: dict[int, ProcStat]) -> list[ProcessRef]:
    out = []
    for ref in refs:
        stat = table.get(ref.pid)
        if stat is not None and stat.start == ref.start and not stat.dead:
            out.append(ref)
    return out
