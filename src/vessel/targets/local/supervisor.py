"""Starting, adopting, restarting and stopping the processes of the local target.

Every replica starts detached — in a session of its own, stdin from /dev/null, stdout appended to its log
file — under a small shim (`shim.py`) that leads its process group, copies the workload's stderr into the
log line by line and records its exit code with the last stderr line, so it outlives the `vessel`
command that started it and any later `vessel` process can tell how it ended and why. A process is
identified by pid *and* start time (`procfs`); one whose start time no longer matches was never ours and
is left alone. Everything started carries a launch token written down before the start (`orphans`).

A replica's processes (`members`) are its shim's process group, its workload, everything below the shim
(a child subreaper: nothing it starts can leave that tree while the shim lives) and, where the machine
allows, the members of the cgroup made for it before the start (`cgroups`: nothing can leave that,
even after the shim is gone) — so a child in a session of its own or a double-forked daemon is stopped
with its replica.

Stopping is graceful: SIGTERM to every member, and after the grace period SIGKILL to every member but the
shim, which then records how its workload ended, kills what is left below it and exits; a shim that has
not gone within `SHIM_TIMEOUT` is killed with the rest (the whole cgroup at once where there is one).
/proc is checked until nothing of the replica remains. Crashed replicas are restarted after a capped
exponential backoff (1 s, 2 s, 4 s … 60 s), reset once a run has lasted ten minutes.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vessel.errors import TargetUnavailableError
from vessel.model.redaction import redact
from vessel.targets.local import balancer as balancer_module
from vessel.targets.local import cgroups, environment, orphans, procfs
from vessel.targets.local import shim as shim_module
from vessel.targets.local.probes import ProbeRecord
from vessel.targets.local.state import EXITED, RUNNING, Proc, read_exit

SHIM = Path(shim_module.__file__)
BALANCER = Path(balancer_module.__file__)
BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
BACKOFF_RESET = 600.0  # a run this long forgets earlier crashes
REPORT_TIMEOUT = 10.0
KILL_TIMEOUT = 5.0  # after SIGKILL, how long to wait for the kernel to finish the processes
SHIM_TIMEOUT = 2.0  # after its workload was killed, how long a shim gets to record it and clean up
POLL = 0.02


@dataclass(frozen=True)
class Launch:
    """How to start one replica."""

    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path
    log: Path
    run_dir: Path  # where the exit file goes


def backoff(crashes: int) -> float:
    return float(min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** max(crashes - 1, 0)))


def describe_exit(code: int | None, last_error: str = "") -> str:
    """`exited with code 3: fatal: no config` — the code (or signal) and the last line on stderr, with
    any secret value it quotes masked (`model.redaction`: the line is kept in state and shown)."""
    if code is None:
        how = "exited (exit code unknown)"
    elif code > 128 and code - 128 in {s.value for s in signal.Signals}:
        how = f"killed by {signal.Signals(code - 128).name}"
    else:
        how = f"exited with code {code}"
    return f"{how}: {redact(last_error)}" if last_error else how


class Supervisor:
    def __init__(self, grace: float, *, use_cgroups: bool = True):
        self.grace = grace
        self.use_cgroups = use_cgroups  # where the machine allows them
        self._children: dict[int, subprocess.Popen[bytes]] = {}  # reaped as they end, if we started them
        self._lock = threading.Lock()

    # -- starting ------------------------------------------------------------------------------------

    def start(self, proc: Proc, launch: Launch, token: str) -> None:
        """Start `proc` carrying the launch `token`; on return it is RUNNING, or EXITED with the reason it
        could not start."""
        launch.log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        cgroup = self._cgroup_for(launch.run_dir, token)
        exit_path = launch.run_dir / f"{token}.exit"
        where = str(cgroup or "-")
        argv = [sys.executable, "-I", "-S", str(SHIM), str(exit_path), "{fd}", where, "--", *launch.argv]
        try:
            child, report = self._spawn(argv, {**launch.env, orphans.ENV: token}, launch.cwd, launch.log)
        except TargetUnavailableError:
            if cgroup is not None:
                cgroups.remove(cgroup)
            raise
        proc.token, proc.cgroup = token, str(cgroup or "")
        proc.pgid, proc.pgid_start = child.pid, procfs.start_time(child.pid) or 0
        proc.started_at = time.time()
        proc.ready = False
        proc.readiness, proc.liveness = ProbeRecord(), ProbeRecord()
        proc.exit_code = proc.finished_at = proc.next_restart = None
        self._started(proc, report)

    def _cgroup_for(self, run_dir: Path, token: str) -> Path | None:
        """Write the token down with the cgroup planned for it, then make that cgroup (None: there is
        none, and the shim's tree alone tracks the replica)."""
        cgroup = cgroups.plan(token) if self.use_cgroups else None
        orphans.intend(run_dir, token, cgroup)
        return cgroup if cgroup is not None and cgroups.make(cgroup) else None

    def _started(self, proc: Proc, report: str) -> None:
        """Record what the shim reported: `ok PID START CGROUP`, `error CODE REASON`, or nothing."""
        word, _, rest = report.partition(" ")
        if word == "ok":
            pid, start, joined = [*rest.split(" ", 2), "-"][:3]
            proc.pid, proc.start = int(pid), int(start)
            proc.phase, proc.message = RUNNING, "started"
            if proc.cgroup and joined != proc.cgroup:  # the shim could not join it: its tree alone
                cgroups.remove(Path(proc.cgroup))
                proc.cgroup = ""
            return
        proc.pid = proc.start = None
        proc.phase, proc.finished_at = EXITED, proc.started_at
        if word == "error":
            code, _, reason = rest.partition(" ")
            proc.exit_code, proc.message = int(code), f"cannot start: {reason}"
        else:
            self._kill_now(proc)
            proc.exit_code, proc.message = None, "cannot start: the launcher did not report back"

    def start_balancer(
        self, proc: Proc, port: int, backends: Path, log: Path, run_dir: Path, token: str
    ) -> str | None:
        """Start the balancer for `proc.port`, carrying the launch `token`; None on success, else why it
        could not listen."""
        log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        orphans.intend(run_dir, token)
        proc.token = token
        argv = [
            sys.executable,
            "-I",
            "-S",
            str(BALANCER),
            "--port",
            str(port),
            "--backends",
            str(backends),
            "--ready-fd",
            "{fd}",
        ]
        env = {**environment.base(), orphans.ENV: token}  # Vessel's own code: it needs nothing else
        child, report = self._spawn(argv, env, backends.parent, log)
        proc.pid = proc.pgid = child.pid
        proc.start = proc.pgid_start = procfs.start_time(child.pid) or 0
        proc.started_at = time.time()
        proc.port = port
        if report == "ok":
            proc.phase, proc.message, proc.ready = RUNNING, f"listening on 127.0.0.1:{port}", True
            return None
        self._kill_now(proc)
        proc.phase, proc.ready = EXITED, False
        proc.message = report.partition(" ")[2] or "the balancer did not start"
        return proc.message

    def _spawn(
        self, argv: list[str], env: Mapping[str, str], cwd: Path, log: Path
    ) -> tuple[subprocess.Popen[bytes], str]:
        """Start a detached child that reports one line on a pipe (its `{fd}` argument); wait for the line."""
        self.reap()
        read_end, write_end = os.pipe()
        try:
            argv = [a.replace("{fd}", str(write_end)) if a == "{fd}" else a for a in argv]
            with os.fdopen(os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as out:
                child = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=cwd,
                    env=dict(env),
                    start_new_session=True,
                    pass_fds=(write_end,),
                )
        except OSError as exc:
            os.close(read_end)
            raise TargetUnavailableError(f"cannot start a process in {cwd}: {exc.strerror or exc}") from exc
        finally:
            os.close(write_end)
        with self._lock:
            self._children[child.pid] = child
        try:
            return child, _read_line(read_end, REPORT_TIMEOUT)
        finally:
            os.close(read_end)

    # -- watching ------------------------------------------------------------------------------------

    def reap(self) -> None:
        """Collect the exit status of children this process started, so none lingers as a zombie."""
        with self._lock:
            for pid, child in list(self._children.items()):
                if child.poll() is not None:
                    del self._children[pid]

    def observe(self, proc: Proc, directory: Path, table: dict[int, procfs.ProcStat]) -> bool:
        """If `proc` was running and its process has ended, record how; True when that happened now."""
        if proc.phase != RUNNING:
            return False
        ref = proc.ref()
        if ref is not None and procfs.alive_among([ref], table):
            return False
        outcome = read_exit(directory, proc.token)
        leader = proc.leader()
        deadline = time.monotonic() + 0.5
        while outcome is None and leader is not None and time.monotonic() < deadline:
            self.reap()
            if not leader.alive():  # the shim is gone without a record (killed)
                outcome = read_exit(directory, proc.token)
                break
            time.sleep(POLL)  # the shim is writing the record right now
            outcome = read_exit(directory, proc.token)
        proc.phase, proc.ready = EXITED, False
        said = ""
        if outcome is not None:
            code = outcome.get("exitCode")
            proc.exit_code = code if isinstance(code, int) else None
            proc.finished_at = float(outcome.get("finishedAt") or time.time())
            said = str(outcome.get("lastError") or "")
        else:
            proc.exit_code, proc.finished_at = None, time.time()
        proc.message = describe_exit(proc.exit_code, said)
        return True

    @staticmethod
    def plan_restart(proc: Proc, now: float) -> None:
        """After a crash: when the replica may start again."""
        ran = (proc.finished_at or now) - (proc.started_at or now)
        proc.crashes = 1 if ran >= BACKOFF_RESET else proc.crashes + 1
        proc.next_restart = (proc.finished_at or now) + backoff(proc.crashes)

    # -- stopping ------------------------------------------------------------------------------------

    def stop(self, procs: Sequence[Proc]) -> None:
        """Stop every process of `procs` (see the module docstring: SIGTERM, SIGKILL after the grace
        period, the shims last). Returns once /proc shows none of them, their cgroups removed;
        TargetUnavailableError if that never happens."""
        pending = [p for p in procs if self.members(p, procfs.scan())]
        self._signal(pending, signal.SIGTERM)
        pending = self._wait(pending, self.grace)
        self._signal(pending, signal.SIGKILL, spare_shims=True)
        pending = self._wait(pending, SHIM_TIMEOUT, resend=True, spare_shims=True)
        self._signal(pending, signal.SIGKILL)
        pending = self._wait(pending, KILL_TIMEOUT, resend=True)
        # What got away from a shim that was itself killed (no cgroup to hold it) still carries the token.
        strays = orphans.kill({p.token for p in procs}, {c for p in procs if (c := self.cgroup(p))})
        pids = sorted({m.pid for p in pending for m in self.members(p, procfs.scan())} | set(strays.pids))
        if pids:
            raise not_ended(pids)

    def _wait(
        self, pending: list[Proc], seconds: float, *, resend: bool = False, spare_shims: bool = False
    ) -> list[Proc]:
        """Wait up to `seconds` for the processes of `pending` to end (SIGKILLing, with `resend`, any
        member that appeared meanwhile); those with members left."""
        deadline = time.monotonic() + seconds
        while pending and time.monotonic() < deadline:
            time.sleep(POLL)
            self.reap()
            if resend:
                self._signal(pending, signal.SIGKILL, spare_shims=spare_shims)
            table = procfs.scan()
            pending = [p for p in pending if self.members(p, table)]
        return pending

    def _kill_now(self, proc: Proc) -> None:
        self._signal([proc], signal.SIGKILL)
        self.reap()

    @staticmethod
    def cgroup(proc: Proc) -> Path | None:
        return cgroups.owned(proc.cgroup, proc.token)

    @staticmethod
    def shim(proc: Proc, table: dict[int, procfs.ProcStat]) -> procfs.ProcStat | None:
        """The live shim of a replica (a balancer has none: it leads its own group)."""
        leader = proc.leader()
        if leader is None or leader.pid == proc.pid or not procfs.alive_among([leader], table):
            return None
        return table[leader.pid]

    @classmethod
    def members(cls, proc: Proc, table: dict[int, procfs.ProcStat]) -> list[procfs.ProcStat]:
        """The live processes that belong to `proc`: its process group, its workload if that left it,
        everything below its shim, and its cgroup's members."""
        found: dict[int, procfs.ProcStat] = {}
        if proc.pgid is not None and proc.pgid_start is not None:
            found.update((m.pid, m) for m in procfs.group_members(proc.pgid, proc.pgid_start, table))
        ref = proc.ref()
        if ref is not None and procfs.alive_among([ref], table):
            found[ref.pid] = table[ref.pid]
        if (shim := cls.shim(proc, table)) is not None:
            found.update((d.pid, d) for d in procfs.descendants(shim.pid, table))
        if (cgroup := cls.cgroup(proc)) is not None:
            for pid in cgroups.pids(cgroup):
                stat = table.get(pid) or procfs.read_stat(pid)
                if stat is not None and not stat.dead:
                    found[pid] = stat
        return list(found.values())

    def _signal(self, procs: Sequence[Proc], signum: int, *, spare_shims: bool = False) -> None:
        """Signal every member of `procs` (the shims too, unless spared) — each found in /proc right
        before, so only processes that are ours are signalled; SIGKILL empties a cgroup at once."""
        table = procfs.scan()
        for proc in procs:
            shim = self.shim(proc, table)
            spared = shim.pid if spare_shims and shim is not None else None
            if signum == signal.SIGKILL and spared is None and (cgroup := self.cgroup(proc)) is not None:
                cgroups.kill(cgroup)
            for member in self.members(proc, table):
                if member.pid != spared:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(member.pid, signum)


def not_ended(pids: Sequence[int]) -> TargetUnavailableError:
    listed = ",".join(str(p) for p in pids)
    return TargetUnavailableError(
        f"process(es) {', '.join(str(p) for p in pids)} did not end, even after SIGKILL",
        hint=f"see `ps -o pid,stat,cmd -p {listed}` (state D: stuck in the kernel); Vessel tries again"
        " on the next apply or delete",
    )


def _read_line(fd: int, timeout: float) -> str:
    """The first line written on the pipe, '' on EOF or timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.partition(b"\n")[0].decode("utf-8", "replace").strip()
