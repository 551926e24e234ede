"""The small parent every replica runs under, so that its exit code — and the last thing it said on
stderr — is known even after the `vessel` process that started it has gone (a process's exit status only
ever reaches its parent).

Run as a script with the standard library only (`python -I -S shim.py EXIT_FILE REPORT_FD -- ARGV...`), in
the replica's own session, working directory, environment and log file. It starts ARGV (never through a
shell), reports `ok <pid> <start time>` or `error <exit code> <reason>` on REPORT_FD, waits, and writes
`{"pid", "exitCode", "finishedAt", "lastError"}` to EXIT_FILE atomically. It leads the replica's process
group and ignores SIGTERM/SIGINT/SIGHUP (the group's workload gets them and decides), so a graceful stop
of the group still lets it record how the workload ended; SIGKILL ends it like everything else in the group.

Why stderr goes through the shim: "exited with code 3" is only half a cause; the workload's last stderr
line ("fatal: no config") is the other half. The workload's stdout is the log file itself; its stderr is
a pipe the shim copies to the same log file line by line as it arrives, keeping the last non-empty line
for the exit record. So the log interleaves the two streams as they were written, each line whole —
stdout written before a stderr line is always before it; a stderr line can land after stdout written
just after it (by the moment it takes to copy), as with any runtime that captures the two streams apart,
container engines included. Once the workload has exited the shim copies what is left in the pipe and
stops: a descendant that outlives the workload and still writes to stderr gets EPIPE.
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import subprocess
import sys
import time

LINE_MAX = 300  # characters of the last stderr line kept
_CHUNK = 65536
_TICK = 0.2  # seconds between looks at whether the workload has exited, while its stderr is quiet
_DRAIN_MAX = 16  # chunks still copied once the workload has exited


def _ignore(signum: int, frame: object) -> None:
    """A handler, not SIG_IGN: a handler resets to the default in the exec'd workload, SIG_IGN would not."""


def _start_time(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as file:
        return int(file.read().rpartition(b")")[2].split()[19])


def _record(path: str, pid: int | None, code: int, last_error: str) -> None:
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temp, "w", encoding="utf-8") as file:
            record = {"pid": pid, "exitCode": code, "finishedAt": time.time(), "lastError": last_error}
            json.dump(record, file)
        os.replace(temp, path)
    except OSError:  # the object was deleted meanwhile: nobody is left to tell
        pass


class _Lines:
    """Copies a byte stream to `out` in whole lines — a line half written when stdout writes one of its
    own would otherwise be glued to it in the log — and remembers the last non-empty one. A partial
    line is held until its newline comes, the stream goes quiet or ends, or it grows past `_CHUNK`."""

    def __init__(self, out: int) -> None:
        self.out = out
        self.pending = b""
        self.last = b""

    def feed(self, chunk: bytes) -> None:
        data = self.pending + chunk
        cut = data.rfind(b"\n") + 1
        if len(data) - cut > _CHUNK:
            cut = len(data)
        whole, self.pending = data[:cut], data[cut:]
        if whole:
            _write_all(self.out, whole)
            lines = [line for line in whole.split(b"\n") if line.strip()]
            self.last = lines[-1] if lines else self.last

    def flush(self) -> None:
        if self.pending:
            _write_all(self.out, self.pending)
            if self.pending.strip():
                self.last = self.pending
            self.pending = b""

    def text(self) -> str:
        return self.last.decode("utf-8", "replace").strip()[:LINE_MAX]


def _relay(source: int, child: subprocess.Popen[bytes]) -> str:
    """Copy the workload's stderr to ours (the log) until it closes or the workload has exited; the last
    line it wrote."""
    lines = _Lines(2)
    after_exit = 0  # chunks copied since the workload exited: a chatty descendant must not keep us here
    while after_exit < _DRAIN_MAX:
        exited = child.poll() is not None
        after_exit += exited
        if select.select([source], [], [], 0 if exited else _TICK)[0]:
            chunk = os.read(source, _CHUNK)
            if not chunk:
                break  # closed: the workload (and whatever shared its stderr) is gone
            lines.feed(chunk)
        elif exited:
            break  # nothing left in the pipe
        else:
            lines.flush()  # quiet for a while: a prompt or a progress bar without its newline yet
    lines.flush()
    return lines.text()


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            data = data[os.write(fd, data) :]
        except OSError:  # the log is gone; the exit record is what matters now
            return


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: shim.py EXIT_FILE REPORT_FD -- ARGV...", file=sys.stderr)
        return 2
    exit_file, report_fd, command = argv[0], int(argv[1]), argv[3:]
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _ignore)
    with os.fdopen(report_fd, "w", encoding="utf-8") as report:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            code = 126 if exc.errno in (errno.EACCES, errno.ENOEXEC, errno.EISDIR) else 127
            reason = f"{exc.strerror or exc}: {command[0]!r}"
            print(f"vessel: cannot start {reason}", file=sys.stderr, flush=True)
            _record(exit_file, None, code, f"cannot start: {reason}")
            report.write(f"error {code} {reason}\n")
            return 0
        report.write(f"ok {child.pid} {_start_time(child.pid)}\n")
    assert child.stderr is not None
    last_error = _relay(child.stderr.fileno(), child)
    status = child.wait()
    _record(exit_file, child.pid, 128 - status if status < 0 else status, last_error)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
