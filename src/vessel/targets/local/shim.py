"""The small parent every replica runs under, so that its exit code — and the last thing it said on
stderr — is known even after the `vessel` process that started it has gone (a process's exit status only
ever reaches its parent).

Run as a script with the standard library only (`python -I -S shim.py EXIT_FILE REPORT_FD CGROUP --
ARGV...`), in the replica's own session, working directory, environment and log file. It moves itself
into CGROUP (`-` for none; see `cgroups`), becomes a child subreaper, starts ARGV (never through a
shell), reports `ok <pid> <start time> <cgroup|->` or `error <exit code> <reason>` on REPORT_FD, waits,
and writes `{"pid", "exitCode", "finishedAt", "lastError"}` to EXIT_FILE atomically (0600). It leads the
replica's process group and ignores SIGTERM/SIGINT/SIGHUP (the workload gets them and decides), so a
graceful stop still lets it record how the workload ended.

A replica is its workload and everything that descends from it, as a container is: as a child subreaper
(prctl PR_SET_CHILD_SUBREAPER) the shim stays the ancestor of every process the workload starts — a
double-forked daemon, a child that moved to a session of its own — because an orphan is re-parented to
its nearest subreaper, not to init. So the tree below the shim is the replica, whatever it does with its
sessions, groups or environment; the shim reaps the orphans it adopts, and when the workload ends, it
SIGKILLs what is left of the tree (as a container's processes end with its main one) before it records
the exit. If the shim itself is SIGKILLed, its tree is re-parented away: then the replica's cgroup, where
the machine allows one, still holds every process, and without one only the processes that kept the
launch token are found (see `orphans`) — the limit of the fallback.

The workload's stdout and stderr are pipes the shim relays to the log file (its own stdout), each line
headed by the time it began to arrive, RFC 3339 in UTC with microseconds (`2024-05-01T12:00:00.123456Z
text`): that is what `vessel logs --since` filters on and `--timestamps` shows, as the kubelet stamps
container logs. A line is written whole (a line without its newline waits for it, up to `LINE_MAX`
bytes, or for the end of the stream), so stdout and stderr never interleave within a line. After the
workload ends and its leftovers are killed, what is still in the pipes is relayed (for at most `DRAIN`
seconds) before the exit is recorded.

`lastError` is the workload's last non-empty stderr line (or why it could not start): "exited with code
3" is only half a cause, "fatal: no config" is the other half. Each pipe is relayed on its own, so a
stderr line can land just after a stdout line written just after it (as with any runtime that captures
the two streams apart, container engines included); within a stream the order is kept.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

LINE_MAX = 64 * 1024  # a longer line without a newline is written in pieces of this size
LAST_ERROR_MAX = 300  # characters of the last stderr line kept in the exit record
# Seconds the pipes may take to empty after the workload and its leftovers ended, before the exit is
# recorded; kept well below the half second the supervisor waits for an exit record.
DRAIN = 0.2
PR_SET_CHILD_SUBREAPER = 36
LEFTOVERS_TIMEOUT = 5.0  # seconds to kill what the workload left behind (the kernel needs a moment)


def _ignore(signum: int, frame: object) -> None:
    """A handler, not SIG_IGN: a handler resets to the default in the exec'd workload, SIG_IGN would not."""


def _start_time(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as file:
        return int(file.read().rpartition(b")")[2].split()[19])


def _record(path: str, pid: int | None, code: int, last_error: str) -> None:
    temp = f"{path}.{os.getpid()}.tmp"
    record = {"pid": pid, "exitCode": code, "finishedAt": time.time(), "lastError": last_error}
    try:
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            json.dump(record, file)
        os.replace(temp, path)
    except OSError:  # the object was deleted meanwhile: nobody is left to tell
        pass


def stamp() -> bytes:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ ").encode()


class Relay(threading.Thread):
    """Copies one of the workload's pipes into the log, a stamped line at a time; `last_line` is the
    last one it relayed (without its stamp)."""

    def __init__(self, pipe: int, lock: threading.Lock) -> None:
        super().__init__(name=f"relay-{pipe}")
        self.pipe, self.lock = pipe, lock
        self.last_line = b""

    def run(self) -> None:
        pending, began = b"", b""
        while chunk := _read(self.pipe):
            began = began if pending else stamp()
            pending += chunk
            while b"\n" in pending or len(pending) >= LINE_MAX:
                cut = pending.find(b"\n") + 1 or LINE_MAX
                self._write(began, pending[:cut])
                pending, began = pending[cut:], stamp()
        if pending:
            self._write(began, pending)
        os.close(self.pipe)

    def _write(self, began: bytes, line: bytes) -> None:
        self.last_line = line.strip() or self.last_line
        write_log(began + line + (b"" if line.endswith(b"\n") else b"\n"), self.lock)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def write_log(data: bytes, lock: threading.Lock) -> None:
    with lock:
        while data:
            try:
                data = data[os.write(1, data) :]
            except OSError:  # the log is gone (the object was deleted): nobody is left to read it
                return


def join(cgroup: str) -> str:
    """Move this process into `cgroup` (before anything is started, so all is born inside); the cgroup,
    or `-` when there is none or it cannot be joined."""
    if cgroup == "-":
        return "-"
    try:
        with open(os.path.join(cgroup, "cgroup.procs"), "w", encoding="ascii") as procs:
            procs.write(str(os.getpid()))
    except OSError:
        return "-"
    return cgroup


def become_subreaper() -> None:
    """Orphans below this process are re-parented to it, not to init: the tree stays the replica."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the process group and the cgroup are left
        return


def _descendants() -> list[int]:
    """The live processes below this one, from /proc (by parent links)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as file:
                    fields = file.read().rpartition(b")")[2].split()
            except OSError:
                continue
            if fields and fields[0] not in (b"Z", b"X"):
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), ()):
            found.append(pid)
            todo.append(pid)
    return found


def reap() -> None:
    """Collect every child that has ended (adopted orphans included), without waiting."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_for_workload(child: subprocess.Popen[bytes]) -> int:
    """Wait for the workload to end, reaping the adopted orphans that end meanwhile; its wait status."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:  # cannot happen while the workload is our child; be safe
            return 0
        if pid == child.pid:
            code = os.waitstatus_to_exitcode(status)
            child.returncode = code
            return code


def kill_leftovers() -> None:
    """SIGKILL what the workload left behind, and reap it, until nothing is left below the shim."""
    deadline = time.monotonic() + LEFTOVERS_TIMEOUT
    while (left := _descendants()) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reap()
        time.sleep(0.005)
    reap()


def main(argv: list[str]) -> int:
    if len(argv) < 5 or argv[3] != "--":
        print("usage: shim.py EXIT_FILE REPORT_FD CGROUP -- ARGV...", file=sys.stderr)
        return 2
    exit_file, report_fd, command = argv[0], int(argv[1]), argv[4:]
    cgroup = join(argv[2])
    become_subreaper()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _ignore)
    lock = threading.Lock()
    with os.fdopen(report_fd, "w", encoding="utf-8") as report:
        try:
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            code = 126 if exc.errno in (errno.EACCES, errno.ENOEXEC, errno.EISDIR) else 127
            reason = f"{exc.strerror or exc}: {command[0]!r}"
            write_log(stamp() + f"vessel: cannot start {reason}\n".encode(), lock)
            _record(exit_file, None, code, f"cannot start: {reason}")
            report.write(f"error {code} {reason}\n")
            return 0
        assert child.stdout is not None and child.stderr is not None
        relays = [Relay(os.dup(pipe.fileno()), lock) for pipe in (child.stdout, child.stderr)]
        child.stdout.close()
        child.stderr.close()
        for relay in relays:
            relay.start()
        report.write(f"ok {child.pid} {_start_time(child.pid)} {cgroup}\n")
    finish(exit_file, child, relays)
    return 0  # the relays (not daemons) keep the shim until they have relayed the last line


def finish(exit_file: str, child: subprocess.Popen[bytes], relays: list[Relay]) -> None:
    """Wait for the workload, end what it left, relay its last lines and record how it ended."""
    status = wait_for_workload(child)
    kill_leftovers()
    deadline = time.monotonic() + DRAIN
    for relay in relays:
        relay.join(max(0.0, deadline - time.monotonic()))
    said = relays[1].last_line.decode("utf-8", "replace")[:LAST_ERROR_MAX]
    _record(exit_file, child.pid, 128 - status if status < 0 else status, said)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
