"""Choosing a chart version by a semver constraint, as Helm does (`version: ^1.2`, `>=1.0 <2`, `1.2.x`).

Helm reads constraints with Masterminds/semver; `node-semver` (in the helm extra) implements npm's range
grammar, which is the same language for everything charts use: `^`, `~`, `x`/`*` wildcards, hyphen
ranges, `||`, and comparators joined by spaces or commas. As in Helm, an empty constraint means the newest
stable version, and a pre-release is only chosen when the constraint itself names one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import nodesemver

from vessel.helm.request import CHART, ChartFailure


def choose(versions: Iterable[str], constraint: str, chart: str) -> str:
    """The newest version satisfying `constraint`; ChartFailure naming the versions there are if none."""
    wanted = constraint.strip() or "*"
    if nodesemver.valid_range(wanted, loose=True) is None:
        raise ChartFailure(CHART, f"version: {constraint!r} is not a semver version or constraint")
    candidates = [v for v in versions if nodesemver.valid(v, loose=True) is not None]
    chosen = nodesemver.max_satisfying(candidates, wanted, loose=True)
    if chosen is None:
        have = ", ".join(_newest_first(candidates)[:10]) or "none"
        raise ChartFailure(
            CHART, f"version: no version of chart {chart!r} matches {wanted!r} (it has: {have})"
        )
    return str(chosen)


def _newest_first(versions: list[str]) -> list[str]:
    newer = functools.cmp_to_key(lambda a, b: int(nodesemver.compare(a, b, True)))
    return sorted(versions, key=newer, reverse=True)
