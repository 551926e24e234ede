"""Field paths: how Vessel names a place inside a document (`spec.components[0].traits[1].type`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from vessel.errors import ValidationError

PathPart = str | int
Path = tuple[PathPart, ...]

_KINDS = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts, creating the levels that are missing (inputs' parameterKey).
    ValidationError if `dotted` has an empty part or passes through something that is not a mapping."""
    problem = dotted_problem(target, dotted)
    if problem:
        raise ValidationError(f"parameterKey {problem}")
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def dotted_problem(target: Mapping[str, Any], dotted: str) -> str | None:
    """Why `dotted` cannot be set in `target`, in words, or None: an empty part (`a..b`), or a level that
    exists and is not a mapping (`image.tag` where `image` is a string). Checked at submit, so an input
    that could never be filled in is refused before a run finds out."""
    keys = dotted.split(".")
    if not all(keys):
        return f"{dotted!r} is not a dotted field path like env.API or data.host (it has an empty part)"
    here: Any = target
    for depth, key in enumerate(keys[:-1], 1):
        here = here.get(key)
        if here is None:
            return None
        if not isinstance(here, Mapping):
            kind = "a list" if isinstance(here, list | tuple) else _KINDS.get(type(here), "a value")
            return f"{dotted!r}: {'.'.join(keys[:depth])} is {kind}, not an object the value can go into"
    return None


def format_path(path: Iterable[PathPart]) -> str:
    """Render a path the way users read it: dots for keys, brackets for indexes and odd keys."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{part!r}]")
    return "".join(out)
