"""A template worker: renders definition templates in a process of its own, under hard limits.

A template with loops or macros is a program; no check inside the interpreter can bound it: `~` in a
loop doubles a string through a join no sandbox hook sees, and C-level work (`'x'.ljust(10**9)`, a
huge `**`) cannot be interrupted by Python code. So such templates run here, where the kernel enforces
the caps (`limits.py`):

* memory: `RLIMIT_AS` = this process's size before the render plus `memory_bytes`; an allocation
  beyond it fails with MemoryError;
* CPU time, counted for this process only — a busy machine does not make a render fail: an
  `ITIMER_PROF` timer raises inside the template after `cpu_seconds`, giving a clean error with its
  line; for C-level work the timer cannot interrupt, `RLIMIT_CPU` (re-armed before each job, in whole
  seconds) has the kernel kill the process within a second more.

After any breach the worker answers once and exits; its parent starts a new one for the next render
(`worker_pool.py`). Idle, it blocks reading its stdin and exits when the parent closes it or dies.

    python -m vessel.definitions.worker     (started by the pool, never by hand)
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
import time
from typing import Any, NoReturn

import jinja2

from vessel.definitions.limits import MIB, RenderLimits, reset_limits, size_text, with_limits
from vessel.definitions.lru import BoundedCache
from vessel.definitions.sandbox import DATA_ENV, AuthorFailure, LimitExceeded, run_with_limits, template_line
from vessel.definitions.slots import Collecting, OverBudget, SlotError, as_data, use_mark
from vessel.definitions.worker_protocol import (
    ERROR,
    OVER_CAP,
    REFUSED,
    SYNTAX,
    UNDEFINED,
    Job,
    Reply,
    decode_job,
    encode_reply,
    read_frame,
    write_frame,
)

CACHE_BYTES = 4 * MIB  # compiled templates kept, by source size
JOB_LIMIT = 256 * MIB  # the largest job frame accepted (the parent is trusted; this catches bugs)


class CpuExceeded(LimitExceeded):
    """Raised by the SIGPROF handler inside the template that ran out of CPU time."""


def _on_sigprof(_signum: int, _frame: object) -> NoReturn:
    raise CpuExceeded("used more than its CPU time (the cap)")


class Worker:
    """The render loop of one worker process."""

    def __init__(self) -> None:
        self.compiled: BoundedCache[jinja2.Template] = BoundedCache(512, CACHE_BYTES)
        self.memory_cap = -1
        self.compiles = 0  # templates compiled so far: compiling is what makes a worker grow
        self.sized_at = -1

    def serve(self, fd_in: int, fd_out: int) -> None:
        while True:
            try:
                job = decode_job(read_frame(fd_in, JOB_LIMIT))
            except Exception:  # end of file (the parent closed or died) or garbage: nothing to answer
                return
            reply = self.handle(job)
            write_frame(fd_out, encode_reply(reply))
            if reply.leaving:
                return

    def handle(self, job: Job) -> Reply:
        try:
            self._arm(job.limits)
            try:
                reply = self._render(job)
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
        except CpuExceeded as exc:
            return self._reply(OVER_CAP, _cpu_message(job.limits), template_line(exc, job.name), leaving=True)
        except MemoryError as exc:
            message = f"used more than {size_text(job.limits.memory_bytes)} of memory (the cap)"
            return self._reply(OVER_CAP, message, template_line(exc, job.name), leaving=True)
        return reply

    def _arm(self, limits: RenderLimits) -> None:
        if limits.memory_bytes != self.memory_cap or self.compiles != self.sized_at:
            # Room for `memory_bytes` beyond what this process holds now (measured again only when it
            # may have grown: after compiling a template into its cache).
            self.memory_cap, self.sized_at = limits.memory_bytes, self.compiles
            _set_soft(resource.RLIMIT_AS, _address_space() + limits.memory_bytes)
        used = time.process_time()  # RLIMIT_CPU counts whole seconds of the process's life
        _set_soft(resource.RLIMIT_CPU, math.ceil(used + limits.cpu_seconds))
        signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)

    def _render(self, job: Job) -> Reply:
        use_mark(job.mark)
        try:
            template = self._compiled(job)
            token = with_limits(job.limits)
            try:
                with Collecting() as slots:
                    text = run_with_limits(template.generate(**job.variables), job.limits)
                values = _plain(slots.values, job.limits, len(text))
            finally:
                reset_limits(token)
        except (CpuExceeded, MemoryError):
            raise
        except Exception as exc:
            return self._failure(exc, job.name)
        return Reply(text=text, values=values, cpu=time.process_time())

    def _compiled(self, job: Job) -> jinja2.Template:
        def compile_() -> jinja2.Template:
            self.compiles += 1
            template = DATA_ENV.from_string(job.source)
            template.name = template.filename = job.name
            return template

        return self.compiled.get_or_make((job.name, job.source), compile_, lambda _: len(job.source))

    def _failure(self, exc: Exception, name: str) -> Reply:
        line = template_line(exc, name)
        if isinstance(exc, AuthorFailure):
            return self._reply(REFUSED, str(exc), line)
        if isinstance(exc, LimitExceeded):
            return self._reply(OVER_CAP, str(exc), line)
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return self._reply(SYNTAX, f"template syntax error: {exc.message}", exc.lineno)
        if isinstance(exc, jinja2.UndefinedError):
            return self._reply(UNDEFINED, f"undefined value: {exc.message}", line)
        if isinstance(exc, OverBudget):
            return self._reply(OVER_CAP, str(exc), None)
        if isinstance(exc, SlotError):
            return self._reply(ERROR, str(exc), None)
        if isinstance(exc, RecursionError):
            return self._reply(ERROR, "recursion too deep (a macro calling itself?)", line)
        if isinstance(exc, jinja2.TemplateError):
            return self._reply(ERROR, f"template error: {exc}", line)
        return self._reply(ERROR, f"template error: {type(exc).__name__}: {exc}", line)

    @staticmethod
    def _reply(failure: str, message: str, line: int | None, leaving: bool = False) -> Reply:
        return Reply(failure=failure, message=message, line=line, cpu=time.process_time(), leaving=leaving)


def _plain(values: list[Any], limits: RenderLimits, text_size: int) -> list[Any]:
    """The emitted values as plain data, within the output caps (what the parent will parse)."""
    budget = [limits.values, limits.output_bytes - text_size, limits.values, limits.output_bytes]
    return [as_data(value, budget) for value in values]


def _cpu_message(limits: RenderLimits) -> str:
    return f"used more than {limits.cpu_seconds:g} s of CPU time (the cap)"


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _set_soft(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; it closes our stdin
    signal.signal(signal.SIGPROF, _on_sigprof)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed worker leaves no core file
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # nothing a template or library prints can corrupt the frames
    Worker().serve(fd_in, fd_out)


if __name__ == "__main__":
    main()
    sys.exit(0)
