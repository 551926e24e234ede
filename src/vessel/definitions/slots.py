"""Value slots: how a template's `{{ expressions }}` become data without ever being parsed as YAML.

While a template renders, each `{{ expression }}` emits a *slot marker* — a quoted placeholder string —
and its value is set aside. The text that results is only the template's skeleton: its structure
(decided by the author's YAML and `{% if %}`/`{% for %}`) plus markers. That skeleton is parsed as YAML,
then each marker is replaced by its value.

Two things follow:

* **Safety.** A user's value never reaches the YAML parser, so nothing in it (newlines, `---`, `: `,
  `{{ }}`, anchors, tags) can add a resource or a field, and it keeps its exact type.
* **Speed.** Renders of one template that take the same branches produce the same skeleton, so its
  parse is cached; a render then costs the template run plus one walk that fills the slots, instead of
  a full YAML parse of values it already had as Python data. The cache is bounded by entries and by
  the bytes of skeleton text it holds (`lru.py`): a long-running process renders for many definitions.

A template worker (`worker.py`) renders with the marker its parent gives it and returns the skeleton and
the values as plain data; the parent parses and fills, so the parsed skeletons are cached once, here.

A marker must stand where a whole YAML value or key goes. One found inside a longer string (in a block
scalar, or as `"{{ x }}-suffix"`) is an error that says so.
"""

from __future__ import annotations

import contextvars
import marshal
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from jinja2 import Undefined

from vessel.definitions.limits import MIB, size_text
from vessel.definitions.lru import BoundedCache
from vessel.model.nesting import too_deep

_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MARK = f"@vessel-slot-{secrets.token_hex(6)}-"  # per process: template text cannot forge it
SKELETON_CACHE_SIZE = 4096
SKELETON_CACHE_BYTES = 32 * MIB  # of skeleton text; the compiled fillers are about the same again
MISPLACED = (
    "a {{ expression }} must stand where a whole YAML value goes, not inside a longer string "
    "or a block scalar; build the string in the expression instead: {{ a ~ '-suffix' }}"
)

_slots: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("vessel_slots", default=None)


class SlotError(Exception):
    """A slot was used where no whole value fits, or holds something that is not data."""


class OverBudget(SlotError):
    """What a template emitted is over the output cap (values or bytes)."""


def emit(value: Any) -> str:
    """Jinja2 `finalize`: set the value aside and put a quoted marker in the text."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    slots = _slots.get()
    if slots is None:
        raise SlotError("a data template can only be rendered through render_to_data")
    slots.append(value)
    return f'"{MARK}{len(slots) - 1}"'


def use_mark(mark: str) -> None:
    """A template worker emits its parent's marker, so the parent can parse what it renders."""
    global MARK
    MARK = mark


class Collecting:
    """Context manager: collect the values emitted while a template's output is produced."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __enter__(self) -> Collecting:
        self._token = _slots.set(self.values)
        return self

    def __exit__(self, *_: object) -> None:
        _slots.reset(self._token)


Filler = Callable[[list[Any], list[int]], Any]
SKELETONS: BoundedCache[Filler] = BoundedCache(SKELETON_CACHE_SIZE, SKELETON_CACHE_BYTES)


def plan(text: str, max_depth: int = 64) -> Filler:
    """Parse a skeleton once and compile it into a function that builds fresh data from slot values.

    Subtrees without slots are kept as marshal blobs: rebuilding them is one C call, and every render
    still gets its own objects, so nothing downstream can change another render's output. Nesting is
    checked on the parser's events first (`model/nesting.py`): the composer recurses per level.
    """
    return SKELETONS.get_or_make(text, lambda: _compile(_load(text, max_depth)), lambda _: len(text))


def _load(text: str, max_depth: int) -> Any:
    found = too_deep(text, _LOADER, max_depth)
    if found is not None:
        raise OverBudget(f"output line {found.line} nests deeper than {max_depth} levels (the cap)")
    return yaml.load(text, Loader=_LOADER)


def fill(text: str, values: list[Any], max_values: int, max_bytes: int, max_depth: int = 64) -> Any:
    """The data a skeleton describes, with every marker replaced by (a copy of) its value."""
    return plan(text, max_depth)(values, [max_values, max_bytes - len(text), max_values, max_bytes])


def _has_slot(node: Any) -> bool:
    if type(node) is str:
        return MARK in node
    if type(node) is dict:
        return any(_has_slot(k) or _has_slot(v) for k, v in node.items())
    if type(node) is list:
        return any(_has_slot(v) for v in node)
    return False


def _compile(node: Any) -> Filler:
    if not _has_slot(node):
        blob = marshal.dumps(node)
        return lambda values, budget: marshal.loads(blob)
    if type(node) is str:
        index = _slot_index(node)
        return lambda values, budget: as_data(values[index], budget)
    if type(node) is list:
        items = [_compile(v) for v in node]
        return lambda values, budget: [item(values, budget) for item in items]
    entries = [(_compile_key(k), _compile(v)) for k, v in node.items()]
    return lambda values, budget: {key(values, budget): value(values, budget) for key, value in entries}


def _slot_index(text: str) -> int:
    index = text[len(MARK) :] if text.startswith(MARK) else ""
    if not index.isdigit():
        raise SlotError(MISPLACED)
    return int(index)


def _compile_key(node: Any) -> Filler:
    if not (type(node) is str and MARK in node):
        return lambda values, budget: node if type(node) is str else str(node)
    index = _slot_index(node)
    return lambda values, budget: _key(values[index])


def _key(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        raise SlotError("a mapping key must be a string, not a structure")
    return value if isinstance(value, str) else str(value)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def as_data(value: Any, budget: list[int]) -> Any:
    """A deep copy of `value` as plain YAML data (dict, list, str, int, float, bool, None).

    `budget` is [values, bytes] still allowed, then the caps themselves (for the message); each value
    costs one, and its text (or 8) bytes."""
    budget[0] -= 1
    kind = type(value)
    budget[1] -= len(value) if kind is str else 8
    if budget[0] < 0 or budget[1] < 0:
        raise OverBudget(_over_budget(budget))
    if kind in _SCALARS:
        return value
    if kind is dict or (kind is not str and isinstance(value, Mapping)):
        return {k if type(k) is str else str(k): as_data(v, budget) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [as_data(v, budget) for v in value]
    if isinstance(value, str):
        return str(value)  # Markup and other str subclasses become plain text
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    raise SlotError(f"cannot emit a value of type {kind.__name__}; emit data (text, numbers, lists, maps)")


def _over_budget(budget: list[int]) -> str:
    if budget[0] < 0:
        return f"output has more than {budget[2]} values (the cap)"
    return f"output is larger than {size_text(budget[3])} (the cap)"
