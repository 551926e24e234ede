"""Every cap on evaluating what users and definitions supply, in one place.

Templates, `if` expressions, step and component `outputs`, `healthPolicy` and `customStatus` are
written by people Vessel does not control, and a server evaluates them for everyone. Each evaluation is
therefore bounded, whatever it contains (README "Limits" lists these figures; docs/definitions.md says
which construct runs where):

* a definition template that uses loops, macros or other constructs whose cost cannot be bounded from
  its text runs in a template worker process: `cpu_seconds` of its *own* CPU time (so a busy machine
  does not fail a legitimate render), `memory_bytes` of memory, then it is stopped and the worker
  replaced; `wall_backstop_seconds` only catches a worker that is stuck (stopped, starved for minutes);
* everything else — expressions, status rules, loop-free templates — is a bounded language evaluated
  in-process: at most `expression_nodes` operations after expanding `{% set %}` variables, and every
  operation that builds a value is size-checked against a budget of `expression_bytes` per evaluation;
* in both, `range()` is capped at `sequence_items`, `**` at `exponent`, and what a template produces at
  `output_bytes`, `values` and `nesting` (its YAML text is parsed in this process, by a parser whose
  composer recurses per level: 30,000 `[` would crash the process, not just the render).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class RenderLimits:
    """Caps for one template render or one expression evaluation."""

    cpu_seconds: float = 2.0  # a template worker's CPU time per render
    memory_bytes: int = 256 * MIB  # what a template worker may allocate beyond its own start-up size
    wall_backstop_seconds: float = 60.0  # a worker that has not answered by then is stuck: killed
    output_bytes: int = 4 * MIB  # a template's text and the values it emits, together
    values: int = 200_000  # scalars and containers emitted through {{ }}, counted deeply
    sequence_items: int = 100_000  # one range()
    exponent: int = 1000  # the right-hand side of `**`
    expression_bytes: int = 1 * MIB  # what one bounded evaluation may build, in total
    expression_nodes: int = 2_000  # a bounded expression's size, `{% set %}` variables expanded
    expression_source: int = 64 * KIB  # the text of one expression or status rule
    nesting: int = 64  # levels of nesting in the YAML text a template produces (before slots are filled)


DEFAULT_LIMITS = RenderLimits()


def size_text(n: int) -> str:
    """A byte count as people read it: 1 MiB, 64 KiB, 1.5 MiB, 900 bytes."""
    for unit, scale in (("GiB", 1024**3), ("MiB", MIB), ("KiB", KIB)):
        if n >= scale:
            return f"{n // scale} {unit}" if n % scale == 0 else f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


_current: contextvars.ContextVar[RenderLimits] = contextvars.ContextVar(
    "vessel_limits", default=DEFAULT_LIMITS
)


def current_limits() -> RenderLimits:
    """The limits of the evaluation under way on this thread (guards deep inside Jinja read them)."""
    return _current.get()


def with_limits(limits: RenderLimits) -> contextvars.Token[RenderLimits]:
    return _current.set(limits)


def reset_limits(token: contextvars.Token[RenderLimits]) -> None:
    _current.reset(token)
