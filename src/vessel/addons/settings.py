"""`--set key=value` for addon parameters: dotted keys nest, values are typed as YAML scalars."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vessel.errors import ValidationError
from vessel.model.yaml_source import read_text


def parse_sets(assignments: Iterable[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"--set {item!r}: expected key=value")
        docs = read_text(raw, f"--set {key}") if raw else []
        _assign(values, key.split("."), docs[0].data if docs else "")
    return values


def _assign(target: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
        if not isinstance(target, dict):
            raise ValidationError(f"--set {'.'.join(keys)}: {key!r} is not an object")
    target[keys[-1]] = value
