"""The Jinja2 sandbox definitions are written in, and the guards every evaluation shares.

Templates render to *data*, never to text that data can reshape:

* every `{{ expression }}` is emitted as a *slot* whose value never passes through the YAML parser
  (see `slots.py`), so a property containing newlines, `---`, `: ` or `{{` stays one value and can
  never add a resource or a field, and is never itself rendered as a template;
* the environment is Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`: no attribute
  tricks, no mutation of inputs, and a misspelt parameter is an error, not an empty string. Jinja's
  sandbox refuses `parameter.update(…)` but not the same method taken from the *type* —
  `dict.update(parameter, …)`, with `dict` a global — so `GuardedEnvironment` refuses the mutating
  methods of dict, list, set and deque on those classes as well.

Cost is bounded in two ways (see `limits.py`). This module holds what both share: the cheap guards that
give a precise message before a value is built — `range()` over its item cap, `*` and `**` whose result
would exceed the output cap, string methods and `%` formats whose width would — and the environment a
template worker renders full Jinja in. A guard is not the boundary for a full template: a loop doubling
a string with `~`, or a C-level operation no Python hook sees, is stopped by the worker's CPU and memory
limits (`worker.py`). The bounded language (`bounded_env.py`) builds on these guards and size-checks
every operation instead.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, modifies_known_mutable
from jinja2.utils import Namespace

from vessel.definitions.limits import RenderLimits, current_limits, reset_limits, size_text, with_limits
from vessel.definitions.slots import emit


class TemplateFailure(Exception):
    """Raised inside a template: by `fail()`, or when a cap is hit. Carries the author's message."""


class LimitExceeded(TemplateFailure):
    """An evaluation went over a cap; the message says which, as `… (the cap)`."""


class AuthorFailure(TemplateFailure):
    """The template refused on purpose, with `fail("...")`."""


def too_large(what: str, cap: int) -> LimitExceeded:
    return LimitExceeded(f"{what} would build a value larger than {size_text(cap)} (the cap)")


def fail(message: str) -> NoReturn:
    raise AuthorFailure(str(message))


def bounded_range(*args: int) -> range:
    items = range(*args)
    limit = current_limits().sequence_items
    try:
        count = len(items)
    except OverflowError:  # more items than a C size can hold
        count = limit + 1
    if count > limit:
        raise LimitExceeded(f"range() of more than {limit} items (the cap)")
    return items


def _b64encode(value: str) -> str:
    return base64.b64encode(str(value).encode()).decode()


def _b64decode(value: str) -> str:
    return base64.b64decode(str(value)).decode()


_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _json_marshal(value: Any) -> str:
    """KubeVela's `json.Marshal` (CUE, encoded by Go): compact, keys in the order they were built, and
    `<`, `>`, `&` escaped as Go escapes them — so a definition ported from CUE writes the same string."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_GO_ESCAPES)


# --- sizes of what an operation would build, before it is built -----------------------------------------


def int_bytes(value: int) -> int:
    return value.bit_length() // 8 + 1


def product_size(left: Any, right: Any) -> int | None:
    """Bytes `left * right` would take, for the cases that can be huge (repetition, big integers)."""
    sized, count = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(sized, str | list | tuple) and isinstance(count, int):
        return len(sized) * max(count, 0) * (1 if isinstance(sized, str) else 8)
    if isinstance(left, int) and isinstance(right, int):
        return int_bytes(left) + int_bytes(right)
    return None


INTEGER_DIGITS = sys.get_int_max_str_digits() or 4300  # what Python will still turn into text
INTEGER_BITS = int(INTEGER_DIGITS * 3.33) + 1


def check_integer(operator: str, left: Any, right: Any) -> None:
    """Refuse `*` and `**` of integers whose result could not even be written out: an integer that
    large is never data, and building one is slow C work no signal interrupts quickly."""
    if not (type(left) is int and type(right) is int) or operator not in ("*", "**"):
        return
    if operator == "*":
        bits = left.bit_length() + right.bit_length()
    else:
        bits = left.bit_length() * right if right > 0 else 0
    if bits > INTEGER_BITS:
        raise LimitExceeded(
            f"'{operator}' would build an integer of more than {INTEGER_DIGITS} digits (the cap)"
        )


def power_size(base: Any, exponent: Any) -> int | None:
    """Bytes `base ** exponent` would take for integers (floats overflow by themselves)."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        return (max(base.bit_length(), 1) * exponent) // 8 + 1
    return None


_WIDTHS = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def format_widths(fmt: str, args: Any) -> int:
    """The sum of the widths and precisions a `%` format asks for (`*` takes them from `args`)."""
    values = list(args) if isinstance(args, tuple) else [args]
    total, index = 0, 0
    for width, precision, conversion in _WIDTHS.findall(fmt):
        for part in (width, precision):
            if part == "*":
                star = values[index] if index < len(values) else 0
                index += 1
                total += abs(star) if isinstance(star, int) else 0
            elif part:
                total += int(part)
        index += conversion != "%"
    return total


PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def padded_size(method: Any, args: Sequence[Any]) -> int | None:
    """Bytes a str padding method would build (`'x'.ljust(10**9)`), else None."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str) or getattr(method, "__name__", "") not in PADDING_METHODS:
        return None
    width = args[0] if args and isinstance(args[0], int) else 8
    if method.__name__ == "expandtabs":
        return len(owner) + owner.count("\t") * max(width, 0)
    return max(len(owner), width)


# --- the environment a template worker renders in -----------------------------------------------------


MUTABLE_TYPES: tuple[type, ...] = (dict, list, set, deque)


def mutates_through_type(obj: Any, attr: str) -> bool:
    """`dict.update`, `list.append`…: a mutating method reached through a class, to be called with the
    object to change as its first argument."""
    if not isinstance(obj, type):
        return False
    return any(issubclass(obj, kind) and modifies_known_mutable(kind(), attr) for kind in MUTABLE_TYPES)


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, data-first attribute access, and cheap size guards with precise messages."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return not mutates_through_type(obj, attr) and super().is_safe_attribute(obj, attr, value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        size = padded_size(__obj, args)
        cap = current_limits().output_bytes
        if size is not None and size > cap:
            raise too_large(f"'{__obj.__name__}'", cap)
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
        limits = current_limits()
        if operator == "**" and isinstance(right, int | float) and abs(right) > limits.exponent:
            raise LimitExceeded(f"'**' exponent {right:g} is larger than {limits.exponent} (the cap)")
        check_integer(operator, left, right)
        size = binop_size(operator, left, right)
        if size is not None and size > limits.output_bytes:
            raise too_large(f"'{operator}'", limits.output_bytes)
        return super().call_binop(context, operator, left, right)


def binop_size(operator: str, left: Any, right: Any) -> int | None:
    """What the repeating operators would build: `*` and `**` by their operands, `%` by its widths."""
    if operator == "*":
        return product_size(left, right)
    if operator == "**":
        return power_size(left, right)
    if operator == "%" and isinstance(left, str):
        return len(left) + format_widths(left, right)
    return None


def configure(env: ImmutableSandboxedEnvironment) -> None:
    env.globals.clear()
    env.globals.update(range=bounded_range, dict=dict, fail=fail)
    env.filters.update(b64encode=_b64encode, b64decode=_b64decode, json_marshal=_json_marshal)


def data_environment() -> GuardedEnvironment:
    """Full Jinja2 for definition templates: only ever rendered inside a template worker."""
    env = GuardedEnvironment(
        undefined=StrictUndefined,
        finalize=emit,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,
        cache_size=0,
    )
    configure(env)
    env.globals["namespace"] = Namespace
    return env


DATA_ENV = data_environment()


def template_line(exc: BaseException, name: str) -> int | None:
    """The template line an exception came from, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def run_with_limits(chunks: Iterator[str], limits: RenderLimits) -> str:
    """Join a template's output stream under `limits`, enforcing the output cap as it grows."""
    token = with_limits(limits)
    try:
        out: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > limits.output_bytes:
                raise LimitExceeded(f"output is larger than {size_text(limits.output_bytes)} (the cap)")
            out.append(chunk)
        return "".join(out)
    finally:
        reset_limits(token)
