"""The bounded language at run time: every operation that builds a value is size-checked first.

`bounded_check.py` admits only loop-free Jinja (no `for`, macros, recursion), so the number of
operations an evaluation performs is fixed by its text. What is left to bound is how big each
operation's result can be, and this module does that for every value-producing operation Jinja can
compile from the admitted constructs:

* arithmetic (`+ * ** %`, intercepted as the sandbox allows), and `~`, which Jinja compiles to a plain
  join that no sandbox hook sees — so a code generator routes it through `environment.checked_concat`;
* `{{ }}` output (converting a structure to text), through `finalize`;
* filters: only a whitelist, each wrapped to estimate (before) or charge (after) what it builds;
* calls: a few globals and whitelisted methods of str, dict and list, nothing else;
* slices, charged by what they copy.

Results that cannot be larger than their inputs are charged after they are built (a `split`, a
`list` of a `selectattr`); those that can amplify (`'x' * n`, `replace`, `join`, `%` widths, `**`) are
estimated and refused before. Repetition and list concatenation share items, so they are charged by
what they expand to. The charges of one evaluation are summed in an *allowance* (`expression_bytes`
for an expression or status rule, `output_bytes` for a loop-free template): it cannot build more than
that in total, however it combines operations. Constant folding at compile time is off
(`optimized=False`), so nothing is evaluated before the allowance exists.

What bounds the time: at most `expression_nodes` operations (`bounded_check.py`), each on values no
larger than the inputs or the allowance — so CPU time is at most proportional to `expression_nodes`
times the size of the inputs plus the allowance (a live object, step outputs of at most
`expression_bytes`), whatever the text does. Nothing here needs a clock.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Undefined
from jinja2 import filters as jinja_filters
from jinja2 import tests as jinja_tests
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

from vessel.definitions.limits import current_limits, size_text
from vessel.definitions.sandbox import (
    GuardedEnvironment,
    LimitExceeded,
    binop_size,
    bounded_range,
    check_integer,
    configure,
    fail,
    int_bytes,
    too_large,
)
from vessel.definitions.slots import emit

# --- the allowance: what one evaluation may still build ------------------------------------------------

# [bytes left, bytes cap, CPU deadline (thread time), charges so far, CPU cap]
_allowance: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "vessel_allowance", default=None
)


def open_allowance(total: int, cpu_seconds: float) -> contextvars.Token[list[Any] | None]:
    """A fresh allowance of `total` bytes for one evaluation (also the cap on any one value), and of
    `cpu_seconds` of this thread's CPU time."""
    return _allowance.set([total, total, time.thread_time() + cpu_seconds, 0, cpu_seconds])


def close_allowance(token: contextvars.Token[list[Any] | None]) -> None:
    _allowance.reset(token)


CPU_CHECK_EVERY = 16  # charges between two looks at this thread's CPU clock


def allowance_cap() -> int:
    allowance = _allowance.get()
    return allowance[1] if allowance is not None else allowance_cap()


def charge(size: int, what: str) -> None:
    """Count `size` bytes against this evaluation's allowance; refuse if it would go over."""
    cap = allowance_cap()
    if size > cap:
        raise too_large(what, cap)
    allowance = _allowance.get()
    if allowance is None:
        return
    allowance[0] -= size
    if allowance[0] < 0:
        raise LimitExceeded(f"built more than {size_text(cap)} of values in one evaluation (the cap)")
    allowance[3] += 1
    if allowance[3] % CPU_CHECK_EVERY == 0 and time.thread_time() > allowance[2]:
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


def _text(value: Any) -> Any:
    """`finalize` of a status message: what `{{ value }}` will write, charged before it is written."""
    if not isinstance(value, Undefined):
        charge(text_size(value, allowance_cap()), "'{{ }}'")
    return value


# --- filters -------------------------------------------------------------------------------------------

Filter = Callable[..., Any]


# Filters whose result is no larger than a small multiple of their input: charged after they run.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Filters that build nothing (a number, one of their inputs) or return a lazy generator, whose
# consumer (`list`, `join`, `sort`...) is charged: used as they are.
AS_IS = _words(
    "abs attr count d default filesizeformat first float int items last length map max min reject "
    "rejectattr round select selectattr unique wordcount"
)
AFTER = _words(
    "capitalize dictsort e escape list lower reverse sort title trim truncate upper urlencode wordwrap "
    "b64encode b64decode"
)


def _charged_after(name: str, filter_: Filter) -> Filter:
    @functools.wraps(filter_)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = filter_(*args, **kwargs)
        if isinstance(result, list | tuple | str | dict):
            charge(shallow_size(result), f"the filter '{name}'")
        return result

    return run


def _split(filter_: Filter, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any, tuple[Any, ...]]:
    """(the context/environment argument Jinja passes, if any; the filtered value; the rest)."""
    head = 1 if _PassArg.from_obj(filter_) is not None else 0
    return args[:head], args[head], args[head + 1 :]


def _join(filter_: Filter) -> Filter:
    @functools.wraps(filter_)
    def run(*args: Any, **kwargs: Any) -> Any:
        head, value, rest = _split(filter_, args)
        items = value if isinstance(value, list | tuple) else list(value)
        charge(8 * len(items), "the filter 'join'")
        separator = str(rest[0] if rest else kwargs.get("d", ""))
        limit = allowance_cap()
        charge(sum(text_size(i, limit) for i in items) + len(separator) * len(items), "the filter 'join'")
        return filter_(*head, items, *rest, **kwargs)

    return run


def _replace(filter_: Filter) -> Filter:
    @functools.wraps(filter_)
    def run(*args: Any, **kwargs: Any) -> Any:
        _, value, rest = _split(filter_, args)
        old, new = (
            str(rest[0] if rest else kwargs.get("old", "")),
            str(rest[1] if len(rest) > 1 else kwargs.get("new", "")),
        )
        count = rest[2] if len(rest) > 2 else kwargs.get("count")
        charge(
            replaced_size(str(value), old, new, count if isinstance(count, int) else -1),
            "the filter 'replace'",
        )
        return filter_(*args, **kwargs)

    return run


def replaced_size(text: str, old: str, new: str, count: int = -1) -> int:
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _estimated(name: str, filter_: Filter, factor: int) -> Filter:
    """Filters that turn a value into text (`string`, `tojson`): the text is estimated first."""

    @functools.wraps(filter_)
    def run(*args: Any, **kwargs: Any) -> Any:
        _, value, _ = _split(filter_, args)
        charge(factor * text_size(value, allowance_cap()), f"the filter '{name}'")
        return filter_(*args, **kwargs)

    return run


def _indent(filter_: Filter) -> Filter:
    @functools.wraps(filter_)
    def run(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
        pad = len(width) if isinstance(width, str) else int(width)
        text = str(value)
        charge(len(text) + (text.count("\n") + 1) * max(pad, 0), "the filter 'indent'")
        return filter_(value, width, *args, **kwargs)

    return run


def _sum(filter_: Filter) -> Filter:
    @functools.wraps(filter_)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = filter_(*args, **kwargs)
        if not isinstance(result, int | float):
            raise TypeError("the filter 'sum' adds numbers only in expressions")
        return result

    return run


def bounded_filters(base: Mapping[str, Filter]) -> dict[str, Filter]:
    """The whitelist of filters the bounded language offers, each wrapped to charge what it builds."""
    chosen = {name: base[name] for name in AS_IS}
    chosen |= {name: _charged_after(name, base[name]) for name in AFTER}
    chosen |= {
        "join": _join(base["join"]),
        "replace": _replace(base["replace"]),
        "string": _estimated("string", base["string"], 1),
        "tojson": _estimated("tojson", base["tojson"], 6),
        "indent": _indent(base["indent"]),
        "sum": _sum(base["sum"]),
    }
    return chosen


BOUNDED_TESTS = dict(jinja_tests.TESTS)

# --- calls ---------------------------------------------------------------------------------------------

METHODS: Mapping[type, frozenset[str]] = {
    str: _words(
        "startswith endswith lower upper strip lstrip rstrip split rsplit splitlines replace find "
        "rfind index rindex count isdigit isalpha isalnum islower isupper isspace isdecimal isnumeric "
        "title capitalize casefold swapcase partition rpartition removeprefix removesuffix join"
    ),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"index", "count"}),
    tuple: frozenset({"index", "count"}),
}
METHOD_NAMES = frozenset().union(*METHODS.values())
GLOBALS = frozenset({"range", "dict", "fail"})


def _method_owner(method: Any) -> type | None:
    owner = getattr(method, "__self__", None)
    for kind in METHODS:
        if isinstance(owner, kind) and getattr(method, "__name__", "") in METHODS[kind]:
            return kind
    return None


def _checked_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    name = method.__name__
    owner = method.__self__
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
        charge(replaced_size(owner, str(args[0]), str(args[1]), count), "'.replace()'")
    if isinstance(owner, str) and name == "join" and args:
        items = list(args[0])
        charge(8 * len(items) + sum(len(str(i)) if isinstance(i, str) else 0 for i in items), "'.join()'")
        charge(len(owner) * len(items), "'.join()'")
        args = (items, *args[1:])
    result = method(*args, **kwargs)
    charge(shallow_size(result), f"'.{name}()'")
    return result


# --- the environments ----------------------------------------------------------------------------------


class _CheckedConcat(CodeGenerator):
    """`a ~ b` calls `environment.checked_concat`, where it is size-checked, instead of a bare join."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(GuardedEnvironment):
    """The guarded sandbox with every value-building operation checked against the allowance."""

    code_generator_class = _CheckedConcat
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        limit = allowance_cap()
        charge(sum(text_size(p, limit) for p in parts), "'~'")
        return "".join(map(str, parts))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits, cap = current_limits(), allowance_cap()
        if operator == "**" and isinstance(right, int | float) and abs(right) > limits.exponent:
            raise LimitExceeded(f"'**' exponent {right:g} is larger than {limits.exponent} (the cap)")
        check_integer(operator, left, right)
        size = binop_size(operator, left, right)
        if operator == "%" and isinstance(left, str):
            size = (size or 0) + text_size(right, cap)
        elif operator == "*":
            size = _repeat_size(left, right, cap) or size
        elif operator == "+":
            size = _sum_size(left, right, cap)
        if size is not None:
            charge(size, f"'{operator}'")
        return ImmutableSandboxedEnvironment.call_binop(self, context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if _method_owner(__obj) is not None:
            return _checked_method(__obj, args, kwargs)
        if __obj is bounded_range:
            return bounded_range(*args)
        if __obj is fail:
            fail(*args)
        if __obj is dict:
            result = dict(*args, **kwargs)
            charge(8 * len(result), "dict()")
            return result
        raise SecurityError(
            f"calling {getattr(__obj, '__name__', type(__obj).__name__)!r} is not allowed here"
        )

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(argument) is not slice:
            return GuardedEnvironment.getitem(self, obj, argument)
        result = super().getitem(obj, argument)
        charge(shallow_size(result), "a slice")
        return result


# Repeating or adding sequences shares their items: `[[0] * 1000] * 1000` takes 8 KB, yet compares or
# prints as a million items. So these are charged by what the result *expands* to (`text_size`), which
# keeps the expanded size of everything an evaluation builds within its allowance.


def _repeat_size(left: Any, right: Any, limit: int) -> int | None:
    sized, count = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(sized, list | tuple) and isinstance(count, int):
        return max(count, 0) * text_size(sized, limit // max(count, 1) + 1)
    return None


def _sum_size(left: Any, right: Any, limit: int) -> int | None:
    if isinstance(left, str) and isinstance(right, str):
        return len(left) + len(right)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return text_size(left, limit) + text_size(right, limit)
    if isinstance(left, int) and isinstance(right, int):
        return max(int_bytes(left), int_bytes(right)) + 1
    return None


def _bounded(env: BoundedEnvironment) -> BoundedEnvironment:
    configure(env)
    env.filters.clear()
    env.filters.update(bounded_filters({**jinja_filters.FILTERS, **_extra_filters()}))
    env.tests.clear()
    env.tests.update(BOUNDED_TESTS)
    return env


def _extra_filters() -> dict[str, Filter]:
    probe = ImmutableSandboxedEnvironment()
    configure(probe)
    return {name: probe.filters[name] for name in ("b64encode", "b64decode")}


def status_environment() -> BoundedEnvironment:
    """Expressions and status messages: undefined values chain (`a.b.c | default(0)`)."""
    env = BoundedEnvironment(
        undefined=ChainableUndefined,
        finalize=_text,
        autoescape=False,
        auto_reload=False,
        cache_size=0,
        optimized=False,
    )
    return _bounded(env)


def data_environment() -> BoundedEnvironment:
    """Loop-free definition templates rendered in-process: strict, and emitting slots like the worker's."""
    env = BoundedEnvironment(
        undefined=StrictUndefined,
        finalize=emit,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,
        cache_size=0,
        optimized=False,
    )
    return _bounded(env)


STATUS_ENV = status_environment()
BOUNDED_DATA_ENV = data_environment()
