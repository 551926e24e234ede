"""Helm's values.schema.json failures, reworded to name the value: `values.replicaCount: …`.

Helm reports a schema failure as `chart:` followed by lines `- at '/a/b': got string, want integer`. A user
wrote `properties.values.a.b`, so that is the path the message names; a subchart's values live under its
name (`values.<subchart>.…`), as the user writes them (one level: a subchart's own subcharts are named by
Helm without their parent, so deeper paths show the innermost name only).
"""

from __future__ import annotations

import re

_PROBLEM = re.compile(r"^- at '(?P<pointer>[^']*)': (?P<message>.*)$")
_CHART = re.compile(r"^(?P<chart>[A-Za-z0-9_.-]+):$")


def schema_problems(message: str, top: str) -> str:
    """One problem after another, `values.<path>: <what is wrong> (values.schema.json of chart <name>)`;
    `top` is the chart rendered (the others are its subcharts)."""
    lines, chart = [], top
    for raw in message.splitlines():
        line = raw.strip()
        header = _CHART.match(line)
        if header:
            chart = header["chart"]
            continue
        found = _PROBLEM.match(line)
        if found:
            lines.append(_problem(found["pointer"], found["message"], chart, top))
    return "; ".join(lines) if lines else " ".join(message.split())


def _problem(pointer: str, message: str, chart: str, top: str) -> str:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p]
    if chart and chart != top:
        parts.insert(0, chart)
    path = ".".join(["values", *parts])
    return f"{path}: {message} (values.schema.json of chart {chart})"
