"""Label and field selectors, as `kubectl get -l` and `--field-selector` send them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from vessel.testing.fake_kube.errors import KubeError

Requirement = Callable[[Mapping[str, str]], bool]

_SET = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside `in (a, b)` parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"(": 1, ")": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _requirement(text: str) -> Requirement:
    if m := _SET.match(text):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: key not in labels or labels[key] not in values
    if m := _EQ.match(text):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    if m := _EXISTS.match(text):
        neg, key = m.groups()
        return (lambda labels: key not in labels) if neg else (lambda labels: key in labels)
    raise KubeError(400, "BadRequest", f'unable to parse requirement: found "{text.strip()}"')


def label_matcher(selector: str | None) -> Callable[[dict[str, Any]], bool]:
    reqs = [_requirement(p) for p in _split(selector or "")]

    def match(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(r(labels) for r in reqs)

    return match


def field_matcher(selector: str | None) -> Callable[[dict[str, Any]], bool]:
    checks: list[tuple[str, bool, str]] = []
    for part in _split(selector or ""):
        m = _EQ.match(part)
        if not m or m.group(1) not in ("metadata.name", "metadata.namespace"):
            raise KubeError(400, "BadRequest", f'"{part.strip()}" is not a known field selector')
        checks.append((m.group(1).split(".")[1], m.group(2) != "!=", m.group(3)))

    def match(obj: dict[str, Any]) -> bool:
        md = obj.get("metadata") or {}
        return all((md.get(f, "") == v) == eq for f, eq, v in checks)

    return match
