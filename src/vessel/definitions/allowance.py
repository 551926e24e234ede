"""The allowance: what one bounded evaluation may still build, and how long it may still run.

Every operation of the bounded language that builds a value is `charge`d here *before* it builds it
(or right after, when the result cannot be larger than its inputs). One evaluation — an `if`, a status
rule, a loop-free template — opens an allowance of bytes (`expression_bytes`, or `output_bytes` for a
template): no single value may be larger, and all of them together may not exceed it. The allowance
also holds a CPU deadline on this thread's own CPU clock (`time.thread_time`, so other threads and
processes do not count), looked at every few charges: the backstop for an evaluation that stays within
its sizes but works long on large inputs.

Sizes are estimated as what a value would take written out as text (`text_size`): an item shared many
times by repetition (`[[0] * 1000] * 1000` is 8 KB in memory) counts as often as it would be printed or
compared. The walk that estimates stops as soon as it passes the limit it is given, so estimating costs
no more than the allowance it protects.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined

from vessel.definitions.limits import current_limits, size_text
from vessel.definitions.sandbox import LimitExceeded, int_bytes, too_large

CPU_CHECK_EVERY = 16  # charges between two looks at this thread's CPU clock...
BIG_CHARGE = 64 * 1024  # ...except after a big one (big values take long to build): at once

# [bytes left, bytes cap (also the cap on any one value), CPU deadline, charges so far, CPU cap]
Allowance = list[Any]
_allowance: contextvars.ContextVar[Allowance | None] = contextvars.ContextVar(
    "vessel_allowance", default=None
)


def open_allowance(total: int, cpu_seconds: float) -> contextvars.Token[Allowance | None]:
    """A fresh allowance of `total` bytes and `cpu_seconds` of this thread's CPU time."""
    return _allowance.set([total, total, time.thread_time() + cpu_seconds, 0, cpu_seconds])


def close_allowance(token: contextvars.Token[Allowance | None]) -> None:
    _allowance.reset(token)


def allowance_cap() -> int:
    """The byte cap of the evaluation under way (outside one: the expression cap)."""
    allowance = _allowance.get(None)
    return allowance[1] if allowance is not None else current_limits().expression_bytes


def charge(size: int, what: str) -> None:
    """Count `size` bytes against this evaluation's allowance; refuse if it would go over."""
    allowance = _allowance.get(None)
    cap = allowance[1] if allowance is not None else current_limits().expression_bytes
    if size > cap:
        raise too_large(what, cap)
    if allowance is None:
        return
    allowance[0] -= size
    if allowance[0] < 0:
        raise LimitExceeded(f"built more than {size_text(cap)} of values in one evaluation (the cap)")
    allowance[3] += 1
    if (allowance[3] % CPU_CHECK_EVERY == 0 or size > BIG_CHARGE) and time.thread_time() > allowance[2]:
        raise LimitExceeded(f"used more than {allowance[4]:g} s of CPU time (the cap)")


def text_size(value: Any, limit: int) -> int:
    """An upper estimate of `len(str(value))`, found by a walk that stops once it passes `limit`."""
    kind = type(value)
    if kind is str:
        return len(value)
    if kind is int:
        return 3 * int_bytes(value) + 1
    if kind is float or kind is bool or value is None:
        return 32
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += 4 * len(item) + 2  # repr() inside a structure may escape every character
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += 3 * int_bytes(item) + 1
        elif not isinstance(item, Undefined):
            total += 32  # floats, and the repr of anything else
    return total


def shallow_size(value: Any) -> int:
    """What building `value` itself took: its characters, or a pointer per item."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | dict):
        return 8 * len(value)
    return 0


def replaced_size(text: str, old: str, new: str, count: int = -1) -> int:
    """The length of `text.replace(old, new, count)`, without building it."""
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)
