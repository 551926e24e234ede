"""The filters of the bounded language: a whitelist, each charged for what it builds.

Jinja calls filters directly, not through a sandbox hook, so the bounded environments hold only these:

* filters that build nothing (a number, one of their inputs) or return a lazy generator, whose consumer
  (`list`, `join`, `sort`…) is charged — used as they are;
* filters whose result is no larger than a small multiple of their input — charged after they run;
* filters that can amplify (`join`, `replace`, `string`, `tojson`, `indent`) — estimated and charged
  before they run; `sum` adds numbers only (a sum of lists is a quadratic copy).

Not offered: `center`, `format`, `batch`, `slice`, `pprint`, `random`, `xmlattr`, `urlize`, `striptags`,
`forceescape`, `safe`, `groupby` — padding, formatting with widths, filling, or not needed for data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from jinja2.utils import _PassArg

from vessel.definitions.allowance import allowance_cap, charge, replaced_size, shallow_size, text_size

Filter = Callable[..., Any]


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


AS_IS = words(
    "abs attr count d default filesizeformat first float int items last length map max min reject "
    "rejectattr round select selectattr unique wordcount"
)
CHARGED_AFTER = words(
    "capitalize dictsort e escape list lower reverse sort title trim truncate upper urlencode wordwrap "
    "b64encode b64decode"
)


def bounded_filters(base: Mapping[str, Filter]) -> dict[str, Filter]:
    """The whitelist, from Jinja's own filters (`base`), each wrapped to charge what it builds."""
    chosen = {name: base[name] for name in AS_IS}
    chosen |= {name: _charged_after(name, base[name]) for name in CHARGED_AFTER}
    chosen |= {
        "join": _join(base["join"]),
        "replace": _replace(base["replace"]),
        "string": _estimated("string", base["string"], 1),
        "tojson": _estimated("tojson", base["tojson"], 6),  # `<` may become `\u003c`
        "indent": _indent(base["indent"]),
        "sum": _numbers_only(base["sum"]),
    }
    return chosen


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
        old = str(rest[0] if rest else kwargs.get("old", ""))
        new = str(rest[1] if len(rest) > 1 else kwargs.get("new", ""))
        count = rest[2] if len(rest) > 2 else kwargs.get("count")
        count = count if isinstance(count, int) else -1
        charge(replaced_size(str(value), old, new, count), "the filter 'replace'")
        return filter_(*args, **kwargs)

    return run


def _estimated(name: str, filter_: Filter, factor: int) -> Filter:
    """Filters that turn a value into text: the text is estimated first."""

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


def _numbers_only(filter_: Filter) -> Filter:
    @functools.wraps(filter_)
    def run(*args: Any, **kwargs: Any) -> Any:
        _, _, rest = _split(filter_, args)
        start = rest[1] if len(rest) > 1 else kwargs.get("start", 0)
        if not isinstance(start, int | float):  # a list or text start would copy quadratically
            raise TypeError("the filter 'sum' adds numbers only here")
        return filter_(*args, **kwargs)

    return run
