"""A definition template cannot take more than its caps of CPU time and memory, whatever it contains.

Loop-free templates render in this process in the bounded language, where every operation that builds a
value is size-checked; any other template renders in a template worker process under kernel limits.
Each bomb listed in issue 9 fails with an error naming the template and the cap, the engine process's
memory stays flat, a worker that breached or died is replaced, and the CPU cap counts CPU time, not
wall-clock time. Caps are small and the bombs just over them, so a regression fails fast.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from vessel.definitions import JinjaTemplate, RenderLimits, slots
from vessel.definitions.limits import DEFAULT_LIMITS, KIB, MIB
from vessel.definitions.worker_pool import POOL, WorkerPool
from vessel.definitions.worker_protocol import Job
from vessel.errors import Location, OverCapError, RenderError, TemplateWorkerError

SMALL = RenderLimits(
    cpu_seconds=0.5,
    memory_bytes=64 * MIB,
    output_bytes=64 * KIB,
    expression_bytes=64 * KIB,
    sequence_items=1000,
)
IN_A_LOOP = "{{% for _ in [1] %}}x: {{{{ {} }}}}\n{{% endfor %}}"  # a loop: only a worker may render it


def template(source: str) -> JinjaTemplate:
    return JinjaTemplate(source, "bomb", Location("bomb.yaml", 10))


def render(source: str, limits: RenderLimits = SMALL, **parameter: Any) -> dict[str, Any]:
    return template(source).render({"parameter": parameter, "context": {}}, limits)


# (expression, what the error says): the bombs of issue 9, each just over its (small) cap.
BOMBS = [
    ("'x'.ljust(70000)", r"'ljust' would build a value larger than 64 KiB \(the cap\)"),
    ("'x'.center(70000)", r"'center' would build a value larger than 64 KiB \(the cap\)"),
    ("'1'.zfill(70000)", r"'zfill' would build a value larger than 64 KiB \(the cap\)"),
    ("('\\t' * 10).expandtabs(7000)", r"'expandtabs' would build a value larger than 64 KiB \(the cap\)"),
    ("'%*s' % (70000, 'x')", r"'%' would build a value larger than 64 KiB \(the cap\)"),
    ("'{:>100000000}'.format(1) | length", r"used more than 64 MiB of memory \(the cap\)"),
    ("7 ** 1001", r"'\*\*' exponent 1001 is larger than 1000 \(the cap\)"),
    ("(7 ** 1000) ** 200", r"'\*\*' would build an integer of more than 4300 digits \(the cap\)"),
    ("[0] * 10000", r"'\*' would build a value larger than 64 KiB \(the cap\)"),
    (  # a billion items as text: whichever cap it reaches first
        "([[[0] * 1000] * 1000] * 1000) | string | length",
        r"used more than (64 MiB of memory|0.5 s of CPU time) \(the cap\)",
    ),
    ("dict.fromkeys(range(1001)) | length", r"range\(\) of more than 1000 items \(the cap\)"),
]


@pytest.mark.parametrize(("bomb", "error"), BOMBS, ids=[b for b, _ in BOMBS])
def test_a_bomb_in_a_worker_template_fails_with_its_cap(bomb: str, error: str) -> None:
    source = IN_A_LOOP.format(bomb)
    assert template(source).runs_in_worker
    with pytest.raises(OverCapError, match=rf"bomb.yaml:11: template bomb: {error}"):
        render(source)


IN_PROCESS = [
    ("'%*s' % (70000, 'x')", r"'%' would build a value larger than 64 KiB \(the cap\)"),
    ("7 ** 1001", r"'\*\*' exponent 1001 is larger than 1000 \(the cap\)"),
    ("(7 ** 1000) ** 200", r"'\*\*' would build an integer of more than 4300 digits \(the cap\)"),
    ("[0] * 10000", r"'\*' would build a value larger than 64 KiB \(the cap\)"),
    ("([[[0] * 1000] * 1000] * 1000) | string", r"'\*' would build a value larger than 64 KiB \(the cap\)"),
    ("range(1001) | list", r"range\(\) of more than 1000 items \(the cap\)"),
    ("parameter.s ~ parameter.s", r"'~' would build a value larger than 64 KiB \(the cap\)"),
    ("parameter.s | replace('x', 'xx')", r"the filter 'replace' would build a value larger than 64 KiB"),
    ("[parameter.s, parameter.s] | join", r"the filter 'join' would build a value larger than 64 KiB"),
    ("parameter.s.replace('x', 'xx')", r"'.replace\(\)' would build a value larger than 64 KiB"),
    ("'-'.join([parameter.s, parameter.s])", r"'.join\(\)' would build a value larger than 64 KiB"),
]


@pytest.mark.parametrize(("bomb", "error"), IN_PROCESS, ids=[b for b, _ in IN_PROCESS])
def test_a_bomb_in_a_loop_free_template_fails_in_process_with_its_cap(bomb: str, error: str) -> None:
    source = f"x: {{{{ {bomb} }}}}"
    assert not template(source).runs_in_worker
    with pytest.raises(OverCapError, match=rf"bomb.yaml:11: template bomb: {error}"):
        render(source, s="x" * 40_000)  # an input: what is built from it is charged, not the input


@pytest.mark.parametrize("where", ["x: {{{{ {} }}}}", IN_A_LOOP], ids=["in-process", "worker"])
def test_the_exponent_and_range_caps_admit_their_limit_and_refuse_one_more(where: str) -> None:
    assert render(where.format("2 ** 1000 > 1 and (range(1000) | list | length) == 1000")) == {"x": True}
    with pytest.raises(OverCapError, match=r"'\*\*' exponent 1001 is larger than 1000 \(the cap\)"):
        render(where.format("2 ** 1001"))
    with pytest.raises(OverCapError, match=r"range\(\) of more than 1000 items \(the cap\)"):
        render(where.format("range(1001) | list | length"))


def test_set_variables_doubling_a_string_stop_at_the_allowance() -> None:
    doubling = "".join(f"{{% set s{i + 1} = s{i} ~ s{i} %}}" for i in range(5))
    source = "{% set s0 = 'x' * 3000 %}" + doubling + "x: {{ s5 | length }}"  # each value under 64 KiB
    assert not template(source).runs_in_worker
    with pytest.raises(OverCapError, match=r"built more than 64 KiB of values in one evaluation \(the cap\)"):
        render(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% set s = parameter.s %}x: {{ [" + ", ".join(["s"] * 20) + "] }}",
        "{% for _ in range(20) %}- {{ parameter.s }}\n{% endfor %}",
    ],
    ids=["in-process", "worker"],
)
def test_what_a_template_emits_counts_towards_the_output_cap(source: str) -> None:
    with pytest.raises(OverCapError, match=r"template bomb: output is larger than 64 KiB \(the cap\)"):
        render(source, s="x" * 10_000)  # 20 values of 10 KB: a small text, 200 KB emitted


def test_a_string_doubling_in_a_loop_stops_at_the_memory_cap() -> None:
    source = (
        "{% set ns = namespace(s='x' * 1024) %}{% for i in range(17) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}x: {{ ns.s | length }}"
    )  # 1 KiB doubled 17 times: 128 MiB, twice the cap
    with pytest.raises(OverCapError, match=r"template bomb: used more than 64 MiB of memory \(the cap\)"):
        render(source)


def test_a_recursive_macro_stops_at_the_cpu_cap() -> None:
    source = (
        "{% macro f(n) %}{% if n < 40 %}{% set _ = f(n + 1) %}{% set _ = f(n + 1) %}{% endif %}{% endmacro %}"
        "{% set _ = f(0) %}x: 1"
    )
    # bomb.yaml:11: the CPU timer stops it inside the template, so its line is known
    with pytest.raises(OverCapError, match=r"bomb.yaml:11: template bomb: used more than 0.5 s of CPU time"):
        render(source)


def test_a_macro_recursing_without_end_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="recursion too deep"):
        render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}x: {{ f(1) }}")


# A worker whose CPU timer never fires, as if stuck in C code that checks no signals (CPython's own long
# operations do check them; C extensions and future code may not).
TIMER_BLOCKED = (
    sys.executable,
    "-c",
    "import signal; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF}); "
    "from vessel.definitions.worker import main; main()",
)


@pytest.mark.timeout(30)
def test_work_the_cpu_timer_cannot_interrupt_is_killed_by_the_kernel() -> None:
    pool = WorkerPool(1, TIMER_BLOCKED)
    busy = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x: 1"
    job = Job("bomb", busy, {}, RenderLimits(cpu_seconds=0.2), slots.MARK)
    try:
        with pytest.raises(
            OverCapError, match=r"^template bomb: used more than 0.2 s of CPU time \(the cap\)$"
        ):
            pool.render(job)  # RLIMIT_CPU: SIGXCPU within a second of CPU past the cap
        assert pool.render(Job("next", "x: 1", {}, DEFAULT_LIMITS, slots.MARK)).text == "x: 1"
    finally:
        pool.close()


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_the_engine_process_memory_stays_flat_while_bombs_are_evaluated() -> None:
    gigabyte_bombs = [
        IN_A_LOOP.format("'x'.ljust(10 ** 9)"),
        IN_A_LOOP.format("'{:>1000000000}'.format(1) | length"),
        IN_A_LOOP.format("([[[0] * 1000] * 1000] * 1000) | string | length"),
        "x: {{ ([[[0] * 1000] * 1000] * 1000) | string }}",
        "x: {{ 'x' * 10 ** 9 }}",
    ]
    render("x: 1\n{% for _ in [1] %}{% endfor %}")  # a worker is up before measuring
    before = _peak_rss()
    for source in gigabyte_bombs:
        with pytest.raises(OverCapError):
            render(source, RenderLimits(memory_bytes=64 * MIB))
    assert _peak_rss() - before < 32 * MIB


def test_a_worker_that_breached_a_cap_is_replaced_and_the_next_render_works() -> None:
    loop = "{% for _ in [1] %}{% endfor %}"
    render(f"x: 1\n{loop}")
    started = POOL.started
    with pytest.raises(OverCapError, match="memory"):
        render(IN_A_LOOP.format("'{:>100000000}'.format(1) | length"))
    assert render(f"x: 2\n{loop}") == {"x": 2}
    assert POOL.started == started + 1


def _wait_until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    """A pool of one worker of its own: its pid is the one rendering, and nothing leaks to other tests."""
    pool = WorkerPool(1)
    assert pool.render(job("x: 1")).text == "x: 1"  # started, and idle
    yield pool
    for pid in pool.pids():
        os.kill(pid, signal.SIGCONT)
    pool.close()


def job(source: str, limits: RenderLimits = SMALL) -> Job:
    return Job("bomb", source, {"parameter": {}, "context": {}}, limits, slots.MARK)


def _running(pool: WorkerPool) -> int | None:
    """The pool's worker if it is running (not sleeping on its pipe)."""
    for pid in pool.pids():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "R":
                    return pid
        except FileNotFoundError:
            continue
    return None


def _in_a_thread(pool: WorkerPool, work: Job) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(pool.render(work).text)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


WORK = "{% for i in range(3000) %}{% for j in range(300) %}{% endfor %}{% endfor %}x: done"  # ~0.3 s


def test_a_worker_killed_while_idle_is_replaced_without_failing_a_render(pool: WorkerPool) -> None:
    for pid in pool.pids():
        os.kill(pid, signal.SIGKILL)
    assert pool.render(job("x: 2")).text == "x: 2"
    assert pool.started == 2


def _render_while_killing_its_workers(pool: WorkerPool, kills: int) -> list[Any]:
    """Render WORK in a thread, SIGKILLing the worker running it `kills` times."""
    thread, outcome = _in_a_thread(pool, job(WORK, RenderLimits(cpu_seconds=30)))
    killed: set[int] = set()
    for _ in range(kills):
        _wait_until(lambda: (_running(pool) or 0) not in (0, *killed) or not thread.is_alive())
        pid = _running(pool)
        if pid and thread.is_alive():
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
    thread.join(20)
    assert len(killed) == kills, "the render finished before its workers could be killed"
    return outcome


def test_a_render_whose_worker_is_killed_runs_again_on_a_fresh_worker(pool: WorkerPool) -> None:
    assert _render_while_killing_its_workers(pool, 1) == ["x: done"]


def test_a_render_whose_workers_keep_dying_fails_as_a_transient_error_naming_the_signal(
    pool: WorkerPool,
) -> None:
    [failure] = _render_while_killing_its_workers(pool, 2)
    assert isinstance(failure, TemplateWorkerError) and not failure.terminal
    assert "the template worker rendering bomb died (signal SIGKILL)" in str(failure)
    assert pool.render(job("x: 2")).text == "x: 2"


def test_the_cpu_cap_counts_cpu_time_not_wall_clock_time(pool: WorkerPool) -> None:
    """A worker stopped (as a busy machine would starve it) for longer than its cap still finishes."""
    limits = RenderLimits(cpu_seconds=1.0)
    start = time.monotonic()
    thread, outcome = _in_a_thread(pool, job(WORK, limits))
    _wait_until(lambda: _running(pool) is not None or not thread.is_alive())
    pid = _running(pool) or 0
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(2 * limits.cpu_seconds)  # the worker gets no CPU for twice the cap
        assert thread.is_alive()  # evidence: the render was under way all that time
    finally:
        os.kill(pid, signal.SIGCONT)
    thread.join(20)
    assert outcome == ["x: done"]
    assert time.monotonic() - start > 2 * limits.cpu_seconds
