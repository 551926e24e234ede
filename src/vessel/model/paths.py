"""Field paths: how Vessel names a place inside a document (`spec.components[0].traits[1].type`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

PathPart = str | int
Path = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts, creating the levels that are missing (inputs' parameterKey)."""
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


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
