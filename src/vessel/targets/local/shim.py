"""The small parent every replica runs under, so that its exit code is known even after the `vessel`
process that started it has gone (a process's exit status only ever reaches its parent).

Run as a script with the standard library only (`python -I -S shim.py EXIT_FILE REPORT_FD -- ARGV...`), in
the replica's own session, working directory, environment and log file. It starts ARGV (never through a
shell), reports `ok <pid> <start time>` or `error <exit code> <reason>` on REPORT_FD, waits, and writes
`{"pid", "exitCode", "finishedAt"}` to EXIT_FILE atomically. It leads the replica's process group and
ignores SIGTERM/SIGINT/SIGHUP (the group's workload gets them and decides), so a graceful stop of the group
still lets it record how the workload ended; SIGKILL ends it like everything else in the group.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time


def _ignore(signum: int, frame: object) -> None:
    """A handler, not SIG_IGN: a handler resets to the default in the exec'd workload, SIG_IGN would not."""


def _start_time(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as file:
        return int(file.read().rpartition(b")")[2].split()[19])


def _record(path: str, pid: int | None, code: int) -> None:
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temp, "w", encoding="utf-8") as file:
            json.dump({"pid": pid, "exitCode": code, "finishedAt": time.time()}, file)
        os.replace(temp, path)
    except OSError:  # the object was deleted meanwhile: nobody is left to tell
        pass


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: shim.py EXIT_FILE REPORT_FD -- ARGV...", file=sys.stderr)
        return 2
    exit_file, report_fd, command = argv[0], int(argv[1]), argv[3:]
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _ignore)
    with os.fdopen(report_fd, "w", encoding="utf-8") as report:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        except OSError as exc:
            code = 126 if exc.errno in (errno.EACCES, errno.ENOEXEC, errno.EISDIR) else 127
            reason = f"{exc.strerror or exc}: {command[0]!r}"
            print(f"vessel: cannot start {reason}", file=sys.stderr, flush=True)
            _record(exit_file, None, code)
            report.write(f"error {code} {reason}\n")
            return 0
        report.write(f"ok {child.pid} {_start_time(child.pid)}\n")
    status = child.wait()
    _record(exit_file, child.pid, 128 - status if status < 0 else status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
