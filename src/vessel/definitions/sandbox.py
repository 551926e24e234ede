"""The Jinja2 sandbox definitions are written in, and the guarantees it gives.

Templates render to *data*, never to text that data can reshape:

* every `{{ expression }}` is emitted as a *slot* whose value never passes through the YAML parser
  (see `slots.py`), so a property containing newlines, `---`, `: ` or `{{` stays one value and can
  never add a resource or a field, and is never itself rendered as a template;
* the environment is Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`: no attribute
  tricks, no mutation of inputs, and a misspelt parameter is an error, not an empty string;
* each render has a deadline and an output-size cap, checked as output is produced, inside `range`,
  on every call, and for `*`/`**` (the cheap ways to make huge values).

Status expressions (`healthPolicy`, `customStatus`) run in a sibling environment whose undefined
values chain (`context.output.status.readyReplicas | default(0)`), because live objects routinely
lack fields.
"""

from __future__ import annotations

import base64
import contextvars
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from jinja2 import ChainableUndefined, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from vessel.definitions.slots import emit


@dataclass(frozen=True)
class RenderLimits:
    """Caps for one template render."""

    seconds: float = 2.0
    output_bytes: int = 1024 * 1024  # the template's text
    sequence_items: int = 100_000  # one range()
    values: int = 200_000  # scalars and containers emitted through {{ }}, counted deeply


DEFAULT_LIMITS = RenderLimits()


class TemplateFailure(Exception):
    """Raised inside a template: by `fail()`, or when a cap is hit. Carries the author's message."""


class LimitExceeded(TemplateFailure):
    """A render went over its time or size cap."""


@dataclass
class _Budget:
    deadline: float
    limits: RenderLimits

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"rendering took longer than {self.limits.seconds:g}s")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("vessel_render_budget", default=None)


def _current() -> _Budget | None:
    return _budget.get()


class AuthorFailure(TemplateFailure):
    """The template refused on purpose, with `fail("...")`."""


def _fail(message: str) -> NoReturn:
    raise AuthorFailure(str(message))


def _bounded_range(*args: int) -> Iterator[int]:
    budget = _current()
    items = range(*args)
    limit = budget.limits.sequence_items if budget else DEFAULT_LIMITS.sequence_items
    if len(items) > limit:
        raise LimitExceeded(f"range() of {len(items)} items exceeds the {limit} item cap")
    for n, value in enumerate(items):
        if budget and n % 256 == 0:
            budget.check_time()
        yield value


def _b64encode(value: str) -> str:
    return base64.b64encode(str(value).encode()).decode()


def _b64decode(value: str) -> str:
    return base64.b64decode(str(value)).decode()


# --- environments ----------------------------------------------------------------------------------


class _GuardedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus deadline checks on calls and size caps on `*` and `**`."""

    intercepted_binops = frozenset({"*", "**"})

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _current()
        if budget:
            budget.check_time()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Data first: `v.items` is the key `items` when `v` has one, not the dict method."""
        if type(obj) is dict:
            if attribute in obj:
                return obj[attribute]
            if not hasattr(dict, attribute):  # a missing key: skip the sandbox's attribute machinery
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """`v['items']` is only ever the key: no fallback to attributes as plain Jinja2 does."""
        if type(obj) is dict and isinstance(argument, str):
            if argument in obj:
                return obj[argument]
            return self.undefined(obj=obj, name=argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limit = (_current() or _Budget(0, DEFAULT_LIMITS)).limits
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            too_big = isinstance(sized, str | list | tuple) and isinstance(count, int)
            if too_big and len(sized) * count > limit.output_bytes:
                raise LimitExceeded("'*' would build a value larger than the output cap")
        if operator == "**" and isinstance(right, int | float) and abs(right) > 1000:
            raise LimitExceeded("'**' exponent is larger than 1000")
        return super().call_binop(context, operator, left, right)


def _configure(env: ImmutableSandboxedEnvironment) -> None:
    env.globals.clear()
    env.globals.update(range=_bounded_range, dict=dict, fail=_fail)
    env.filters.update(b64encode=_b64encode, b64decode=_b64decode)


def _data_environment() -> _GuardedEnvironment:
    env = _GuardedEnvironment(
        undefined=StrictUndefined,
        finalize=emit,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,
        cache_size=0,
    )
    _configure(env)
    env.globals["namespace"] = Namespace
    return env


def _status_environment() -> _GuardedEnvironment:
    env = _GuardedEnvironment(undefined=ChainableUndefined, autoescape=False, auto_reload=False, cache_size=0)
    _configure(env)
    return env


DATA_ENV = _data_environment()
STATUS_ENV = _status_environment()


def run_with_limits(chunks: Iterator[str], limits: RenderLimits) -> str:
    """Join a template's output stream, enforcing the deadline and the output cap as it grows."""
    budget = _Budget(time.monotonic() + limits.seconds, limits)
    token = _budget.set(budget)
    try:
        out: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > limits.output_bytes:
                raise LimitExceeded(f"template output exceeds the {limits.output_bytes} byte cap")
            budget.check_time()
            out.append(chunk)
        return "".join(out)
    finally:
        _budget.reset(token)


def evaluate_with_limits(expression: Any, variables: Mapping[str, Any], limits: RenderLimits) -> Any:
    """Evaluate a compiled status expression under the same deadline rules as a render."""
    token = _budget.set(_Budget(time.monotonic() + limits.seconds, limits))
    try:
        return expression(**variables)
    finally:
        _budget.reset(token)
