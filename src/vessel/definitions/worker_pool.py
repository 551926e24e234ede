"""The parent side of template workers: a small, lazily started, thread-safe pool.

Definition templates that are not in the bounded language run in a worker process (`worker.py`),
whose kernel-enforced limits are what keep this process healthy, whatever a template does. The pool:

* starts nothing until the first such render: commands that render nothing (`vessel status`, `ls`)
  never pay the ~60 ms a worker takes to start;
* lends a worker to one render at a time, starting up to `size` of them for renders on several threads;
* replaces a worker after any breach (it exits by itself after answering), and after it died or was
  stuck: the next render gets a fresh one. A worker killed from outside (an administrator, the
  out-of-memory killer; perhaps while idle) costs its render one retry on a fresh worker, so a render
  only fails when its worker dies twice;
* waits for an answer at most `wall_backstop_seconds`: the CPU cap is the real one, this only catches a
  worker that cannot run at all (stopped, or starved for minutes on an overloaded machine);
* stops its workers when this process exits; they also exit by themselves when it dies (their stdin
  closes).
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from vessel.definitions.limits import DEFAULT_LIMITS
from vessel.definitions.worker_protocol import (
    Job,
    Lost,
    Reply,
    decode_reply,
    encode_job,
    read_frame,
    reply_limit,
    write_frame,
)
from vessel.errors import OverCapError, TemplateWorkerError

DEFAULT_SIZE = max(1, min(4, os.cpu_count() or 1))
_SRC = str(Path(__file__).resolve().parents[2])  # where `vessel` is imported from, for the child


class Died(Exception):
    """A worker ended without answering; `error` says why. `retry`: not this job's doing (it was
    killed from outside, perhaps while idle), so the job may run once more on a fresh worker."""

    def __init__(self, error: Exception, retry: bool = False):
        super().__init__(str(error))
        self.error = error
        self.retry = retry


def _how(code: int) -> str:
    if code >= 0:
        return f"exit status {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"


COMMAND = (sys.executable, "-S", "-m", "vessel.definitions.worker")
_PASSED = ("PATH", "LANG", "TZ", "TMPDIR")


def _minimal_environment() -> dict[str, str]:
    """What a worker needs of this process's environment: how to find programs and read text and time.
    Not the rest — the store's URL with its password, cloud credentials: templates cannot read the
    environment (the sandbox), and a worker that holds nothing cannot leak it either."""
    return {k: v for k, v in os.environ.items() if k in _PASSED or k.startswith("LC_")}


class WorkerProcess:
    """One worker: its process and the two pipe ends this side uses."""

    def __init__(self, command: Sequence[str] = COMMAND) -> None:
        paths = [_SRC, *(p for p in sys.path if p and os.path.isabs(p))]  # not the current directory
        env = {**_minimal_environment(), "PYTHONPATH": os.pathsep.join(paths)}
        try:
            self.process = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        except OSError as exc:
            raise TemplateWorkerError(f"cannot start a template worker: {exc}") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self.fd_in, self.fd_out = self.process.stdin.fileno(), self.process.stdout.fileno()
        self.cpu = 0.0  # its CPU seconds, as of its last reply

    def run(self, job: Job) -> Reply:
        deadline = time.monotonic() + job.limits.wall_backstop_seconds
        try:
            write_frame(self.fd_in, encode_job(job))
            reply = decode_reply(read_frame(self.fd_out, reply_limit(job.limits), deadline))
        except Lost as lost:
            raise self._lost(job, lost.timed_out) from None
        except (OSError, ValueError, EOFError, TypeError):  # a broken pipe, or not a reply
            raise self._lost(job, timed_out=False) from None
        self.cpu = reply.cpu
        if reply.leaving:
            self.stop()
        return reply

    def _lost(self, job: Job, timed_out: bool) -> Died:
        if timed_out:
            self.stop(kill=True)
            return Died(
                TemplateWorkerError(
                    f"template {job.name} did not finish within {job.limits.wall_backstop_seconds:g} s of "
                    "wall-clock time; its worker was stopped (is the machine overloaded?)"
                )
            )
        code = self.stop()
        if code == -signal.SIGXCPU:  # the kernel enforced the CPU cap (RLIMIT_CPU)
            cap = job.limits.cpu_seconds
            return Died(OverCapError(f"template {job.name}: used more than {cap:g} s of CPU time (the cap)"))
        return Died(
            TemplateWorkerError(f"the template worker rendering {job.name} died ({_how(code)})"), retry=True
        )

    def stop(self, kill: bool = False) -> int:
        """End the process (by closing its stdin, if it is idle) and return its exit status."""
        if kill:
            self.process.kill()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            return self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


class WorkerPool:
    """Lends workers to renders, one render per worker at a time; see the module docstring."""

    def __init__(self, size: int = DEFAULT_SIZE, command: Sequence[str] = COMMAND):
        self.size = size
        self.command = command
        self.started = 0  # workers started so far (replacements included)
        self._idle: list[WorkerProcess] = []
        self._all: set[WorkerProcess] = set()
        self._starting = 0
        self._lock = threading.Condition()
        self._at_exit = False

    def render(self, job: Job) -> Reply:
        """Render `job` on a worker; a worker killed from outside costs one retry on a fresh one."""
        for attempt in (1, 2):
            worker = self._borrow()
            try:
                reply = worker.run(job)
            except Died as died:
                self._drop(worker)
                if died.retry and attempt == 1:
                    continue
                raise died.error from None
            except BaseException:
                self._drop(worker)
                raise
            if reply.leaving:
                self._drop(worker)
            else:
                self._give_back(worker)
            return reply
        raise AssertionError("unreachable")

    def _borrow(self) -> WorkerProcess:
        with self._lock:
            while True:
                while not self._idle and len(self._all) + self._starting >= self.size:
                    self._lock.wait()
                if not self._idle:
                    break
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                self._all.discard(worker)  # it died while idle (killed from outside): start another
                worker.stop()
            self._starting += 1  # counts towards the size while it starts, outside the lock
        try:
            worker = WorkerProcess(self.command)
        finally:
            with self._lock:
                self._starting -= 1
                self._lock.notify()
        with self._lock:
            self._all.add(worker)
            self.started += 1
            if not self._at_exit:
                self._at_exit = True
                atexit.register(self.close)
        return worker

    def _give_back(self, worker: WorkerProcess) -> None:
        with self._lock:
            self._idle.append(worker)
            self._lock.notify()

    def _drop(self, worker: WorkerProcess) -> None:
        if worker.alive:
            worker.stop()
        with self._lock:
            self._all.discard(worker)
            self._lock.notify()

    def cpu_seconds(self) -> float:
        """CPU seconds of the live workers (finished ones are in this process's RUSAGE_CHILDREN)."""
        with self._lock:
            return sum(w.cpu for w in self._all)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        """Stop every worker (at exit, or in tests)."""
        with self._lock:
            workers = list(self._all)
            self._idle.clear()
            self._all.clear()
        for worker in workers:
            worker.stop()

    def forget(self) -> None:
        """In a forked child: the parent's workers are not ours to use or stop."""
        self._idle = []
        self._all = set()
        self._starting = 0
        self._lock = threading.Condition()


POOL = WorkerPool()
os.register_at_fork(after_in_child=POOL.forget)


def measure_spawn() -> float:
    """CPU seconds it takes to start a worker and have it render once (both processes counted)."""
    before = time.process_time()
    worker = WorkerProcess()
    try:
        reply = worker.run(Job("spawn", "x: 1", {}, DEFAULT_LIMITS, "@"))
        assert not reply.failure, reply.message
        return time.process_time() - before + reply.cpu
    finally:
        worker.stop()
