"""Real `vessel` processes for crash tests: started, stopped at an exact point of their code, killed.

A timer cannot aim a kill: on a loaded machine a process killed "after 1 s" may not have left interpreter
start-up yet. `vessel_process(..., stop_at=...)` runs the CLI in a child in which one function is
wrapped: when it returns and `when` accepts its arguments and result, the child writes the point's name
to a pipe and blocks until it is killed. Reading that line is the evidence that the process is exactly
there. Nothing in Vessel knows about this: the wrapping is done by the child's entry script below, so
the code under test is the shipped code.

Everything a test waits for — the process reaching its stop point, or exiting — arrives as an event on
one queue (see `Events`), so tests wait on evidence, never on a timer.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo

_CHILD = """
import importlib, os, sys, threading
point, when, fd = sys.argv[1], sys.argv[2], int(os.environ.pop("VESSEL_TEST_STOP_FD"))
module_name, _, qualified = point.partition(":")
owner_name, _, attribute = qualified.rpartition(".")
owner = importlib.import_module(module_name)
for part in filter(None, owner_name.split(".")):
    owner = getattr(owner, part)
original = getattr(owner, attribute)
check = eval("lambda args, result: " + when)

def stopping(*args, **kwargs):
    result = original(*args, **kwargs)
    if check(args, result):
        os.write(fd, (point + "\\n").encode())
        threading.Event().wait()  # until SIGKILL
    return result

setattr(owner, attribute, stopping)
sys.argv = ["vessel", *sys.argv[3:]]
from vessel.cli.main import main
main()
"""

Events = queue.Queue[tuple[str, Any]]
"""("stopped", point) | ("exited", returncode) — and whatever else a test puts there (e.g. HTTP calls)."""


@dataclass
class StopAt:
    """Stop after `point` (`module:Class.function`) returns, when the Python expression `when` over
    `args` (the call's arguments, `self` first) and `result` is true."""

    point: str
    when: str = "True"


class VesselProcess:
    """A running `vessel` command whose stop (if it has a stop point) and exit are posted to `events`."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...], events: Events, stop_at: StopAt | None):
        self.events = events
        log = open(Path(env["VESSEL_HOME"]).parent / "vessel.log", "ab")  # noqa: SIM115 - closed below
        with log:
            if stop_at is None:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "vessel", *args], env=env, stdout=log, stderr=log
                )
            else:
                self.proc = self._stopping(env, args, stop_at, log)
        threading.Thread(target=self._post_exit, daemon=True).start()

    def _stopping(self, env: dict[str, str], args: tuple[str, ...], stop_at: StopAt, log: Any) -> Any:
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, stop_at.point, stop_at.when, *args],
                env={**env, "VESSEL_TEST_STOP_FD": str(write_fd)},
                stdout=log,
                stderr=log,
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)
        threading.Thread(target=self._post_stop, args=(read_fd,), daemon=True).start()
        return proc

    def _post_stop(self, read_fd: int) -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            line = pipe.readline().decode().strip()
        if line:
            self.events.put(("stopped", line))

    def _post_exit(self) -> None:
        self.events.put(("exited", self.proc.wait()))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, no lease released — a crash."""
        self.proc.kill()
        self.proc.wait()


def next_event(events: Events, timeout: float = 45.0) -> tuple[str, Any]:
    """The next event; a test that waits longer than `timeout` for anything at all has failed."""
    try:
        return events.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"nothing happened for {timeout:g}s") from None


def register_directory_target(home: Path, out: Path) -> None:
    """What `vessel target add out --type directory --path OUT` stores, without starting a process."""
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        store.add_target(
            TargetInfo("out", "directory", {}, {"path": str(out)}), default=True, now=time.time()
        )
    finally:
        store.close()
