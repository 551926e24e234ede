"""Starting, adopting, restarting and stopping the processes of the local target.

Every replica starts detached — in a session of its own, stdin from /dev/null, stdout appended to its log
file — under a small shim (`shim.py`) that leads its process group, copies the workload's stderr into the
log line by line and records its exit code with the last stderr line, so it outlives the `vessel`
command that started it and any later `vessel` process can tell how it ended and why. A process is
identified by pid *and* start time (`procfs`); one whose start time no longer matches was never ours and
is left alone. Everything started carries a launch token written down before the start (`orphans`).

Stopping is graceful: SIGTERM to the process group, SIGKILL to whatever is left after the grace period,
and then /proc is checked until nothing of the group remains. Crashed replicas are restarted after a capped
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
from vessel.targets.local import orphans, procfs
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
    def __init__(self, grace: float):
        self.grace = grace
        self._children: dict[int, subprocess.Popen[bytes]] = {}  # reaped as they end, if we started them
        self._lock = threading.Lock()

    # -- starting ------------------------------------------------------------------------------------

    def start(self, proc: Proc, launch: Launch, token: str) -> None:
        """Start `proc` carrying the launch `token`; on return it is RUNNING, or EXITED with the reason it
        could not start."""
        launch.log.parent.mkdir(parents=True, exist_ok=True)
        orphans.intend(launch.run_dir, token)
        exit_path = launch.run_dir / f"{token}.exit"
        argv = [sys.executable, "-I", "-S", str(SHIM), str(exit_path), "{fd}", "--", *launch.argv]
        env = {**launch.env, orphans.ENV: token}
        child, report = self._spawn(argv, env, launch.cwd, launch.log)
        now = time.time()
        proc.token = token
        proc.pgid, proc.pgid_start = child.pid, procfs.start_time(child.pid) or 0
        proc.started_at = now
        proc.ready = False
        proc.readiness, proc.liveness = ProbeRecord(), ProbeRecord()
        proc.exit_code = proc.finished_at = proc.next_restart = None
        word, _, rest = report.partition(" ")
        if word == "ok":
            pid, _, start = rest.partition(" ")
            proc.pid, proc.start = int(pid), int(start)
            proc.phase, proc.message = RUNNING, "started"
            return
        proc.pid = proc.start = None
        proc.phase, proc.finished_at = EXITED, now
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
        log.parent.mkdir(parents=True, exist_ok=True)
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
        child, report = self._spawn(argv, {**os.environ, orphans.ENV: token}, backends.parent, log)
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
            with log.open("ab") as out:
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
        """Stop every process of `procs` (and their process groups): SIGTERM, then SIGKILL after the grace
        period. Returns once /proc shows none of them; TargetUnavailableError if that never happens."""
        table = procfs.scan()
        pending = [p for p in procs if self.members(p, table)]
        for proc in pending:
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while pending and time.monotonic() < deadline:
            time.sleep(POLL)
            self.reap()
            table = procfs.scan()
            pending = [p for p in pending if self.members(p, table)]
        for proc in pending:
            self._signal(proc, signal.SIGKILL)
        deadline = time.monotonic() + KILL_TIMEOUT
        while pending and time.monotonic() < deadline:
            time.sleep(POLL)
            self.reap()
            table = procfs.scan()
            pending = [p for p in pending if self.members(p, table)]
        if pending:
            pids = sorted(m.pid for p in pending for m in self.members(p, procfs.scan()))
            raise TargetUnavailableError(f"processes {pids} did not end, even after SIGKILL")

    def _kill_now(self, proc: Proc) -> None:
        self._signal(proc, signal.SIGKILL)
        self.reap()

    @staticmethod
    def members(proc: Proc, table: dict[int, procfs.ProcStat]) -> list[procfs.ProcStat]:
        """The live processes that belong to `proc`: its process group, and its workload if that left it."""
        members = []
        if proc.pgid is not None and proc.pgid_start is not None:
            members = procfs.group_members(proc.pgid, proc.pgid_start, table)
        ref = proc.ref()
        if ref is not None and procfs.alive_among([ref], table) and all(m.pid != ref.pid for m in members):
            members.append(table[ref.pid])
        return members

    def _signal(self, proc: Proc, signum: int) -> None:
        """Signal the group and the workload — each only after checking, right before, that it is ours."""
        table = procfs.scan()
        members = self.members(proc, table)
        if proc.pgid is not None and any(m.pgrp == proc.pgid for m in members):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pgid, signum)
        ref = proc.ref()
        if ref is not None and any(m.pid == ref.pid and m.pgrp != proc.pgid for m in members):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(ref.pid, signum)


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
