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
larger than the inputs or the allowance, integers of at most 4,300 digits — so CPU time is at most
proportional to `expression_nodes` times the size of the inputs plus the allowance, whatever the text
does; and the allowance's CPU deadline (`allowance.py`) stops an evaluation that still works too long.

The allowance and size estimates live in `allowance.py`, the filter whitelist in `bounded_filters.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Undefined
from jinja2 import filters as jinja_filters
from jinja2 import tests as jinja_tests
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment

from vessel.definitions.allowance import allowance_cap, charge, replaced_size, shallow_size, text_size
from vessel.definitions.bounded_filters import Filter, bounded_filters, words
from vessel.definitions.limits import current_limits
from vessel.definitions.sandbox import (
    GuardedEnvironment,
    LimitExceeded,
    binop_size,
    bounded_range,
    check_integer,
    configure,
    fail,
    int_bytes,
)
from vessel.definitions.slots import emit

# --- calls ---------------------------------------------------------------------------------------------

METHODS: Mapping[type, frozenset[str]] = {
    str: words(
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
    name, owner = method.__name__, method.__self__
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
        charge(replaced_size(owner, str(args[0]), str(args[1]), count), "'.replace()'")
    if isinstance(owner, str) and name == "join" and args:
        items = list(args[0])
        charge(8 * len(items) + sum(len(i) if isinstance(i, str) else 0 for i in items), "'.join()'")
        charge(len(owner) * len(items), "'.join()'")
        args = (items, *args[1:])
    result = method(*args, **kwargs)
    charge(shallow_size(result), f"'.{name}()'")
    return result


# --- sizes of arithmetic -------------------------------------------------------------------------------
# Repeating or adding sequences shares their items: `[[0] * 1000] * 1000` takes 8 KB, yet compares or
# prints as a million items. So these are charged by what the result *expands* to (`text_size`).


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
        if isinstance(__obj, Undefined):  # say why it is undefined (`dict.update`: unsafe), not "calling it"
            __obj._fail_with_undefined_error()
        name = getattr(__obj, "__name__", type(__obj).__name__)
        raise SecurityError(f"calling {name!r} is not allowed here")

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(argument) is not slice:
            return GuardedEnvironment.getitem(self, obj, argument)
        result = super().getitem(obj, argument)
        charge(shallow_size(result), "a slice")
        return result


def _text(value: Any) -> Any:
    """`finalize` of a status message: what `{{ value }}` will write, charged before it is written."""
    if not isinstance(value, Undefined):
        charge(text_size(value, allowance_cap()), "'{{ }}'")
    return value


def _bounded(env: BoundedEnvironment) -> BoundedEnvironment:
    configure(env)
    env.filters.clear()
    env.filters.update(bounded_filters({**jinja_filters.FILTERS, **_extra_filters()}))
    env.tests.clear()
    env.tests.update(jinja_tests.TESTS)  # all cheap: type checks and comparisons
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
