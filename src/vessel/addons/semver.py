"""Semantic versions and the constraints addons write about each other and about Vessel.

An addon's `version` is a semver version (`1.2.3`, `1.2.3-rc.1`); a dependency's `version` and
`system.vessel` are constraints: comparators (`>=1.2.0`, `<2`, `=1.4.0`, `1.4.0`), caret and tilde
ranges (`^1.2`, `~1.2.3`) and wildcards (`*`, `1.x`), joined by spaces or commas (all must hold), with
`||` between alternatives. It is the language KubeVela's addon metadata uses, written here in a few
lines rather than taken from the helm extra, because addons are part of the core. As in npm, a
pre-release only satisfies a constraint that names a pre-release of the same major.minor.patch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_PARTIAL = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$")
_COMPARATOR = re.compile(r"^(>=|<=|>|<|=|\^|~)?\s*(.+)$")


@dataclass(frozen=True, order=False)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core + ("-" + ".".join(str(p) for p in self.pre) if self.pre else "")

    def key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        """Sort key: a pre-release sorts before its release; numeric identifiers before text ones."""
        pre = tuple((0, p) if isinstance(p, int) else (1, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)


def parse_version(text: str) -> Version | None:
    """The version `text` spells, or None if it is not a semver version."""
    found = _VERSION.match(text.strip())
    if found is None:
        return None
    major, minor, patch, pre = found.groups()
    return Version(int(major), int(minor), int(patch), _pre(pre))


def _pre(text: str | None) -> tuple[int | str, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


Bound = tuple[str, Version]  # (operator, version): one comparison a version must pass


@dataclass(frozen=True)
class Constraint:
    text: str
    alternatives: tuple[tuple[Bound, ...], ...]

    def allows(self, version: Version) -> bool:
        return any(_all_hold(bounds, version) for bounds in self.alternatives)

    def __str__(self) -> str:
        return self.text


def _all_hold(bounds: tuple[Bound, ...], version: Version) -> bool:
    if version.pre and not any(v.pre and v.key()[:3] == version.key()[:3] for _, v in bounds):
        return False
    return all(_holds(op, version, bound) for op, bound in bounds)


def _holds(op: str, version: Version, bound: Version) -> bool:
    a, b = version.key(), bound.key()
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a == b}[op]


def parse_constraint(text: str) -> Constraint | None:
    """The constraint `text` spells (empty or `*`: any version), or None if it is not one."""
    alternatives: list[tuple[Bound, ...]] = []
    for part in (text or "*").split("||"):
        bounds: list[Bound] = []
        for token in _tokens(part):
            found = _bounds(token)
            if found is None:
                return None
            bounds.extend(found)
        alternatives.append(tuple(bounds))
    return Constraint(text.strip() or "*", tuple(alternatives))


def _tokens(part: str) -> list[str]:
    # "> = 1.2" style spacing is folded onto its version; commas join like spaces.
    joined = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", part.replace(",", " "))
    return joined.split()


def _bounds(token: str) -> list[Bound] | None:
    found = _COMPARATOR.match(token)
    if found is None:
        return None
    op, rest = found.group(1) or "", found.group(2)
    partial = _PARTIAL.match(rest)
    if partial is None:
        return None
    parts = [None if p is None or p in "xX*" else int(p) for p in partial.groups()[:3]]
    pre = _pre(partial.group(4))
    return _range(op, parts, pre)


def _range(op: str, parts: list[int | None], pre: tuple[int | str, ...]) -> list[Bound] | None:
    fixed = len([p for p in parts if p is not None])
    if any(p is not None for p in parts[fixed:]):
        return None  # a wildcard before a number (1.x.3)
    major, minor, patch = (p or 0 for p in parts)
    low = Version(major, minor, patch, pre)
    if fixed == 0:
        return [] if op in ("", "=", ">=", "<=", "^", "~") else None
    if op in ("", "=") and fixed == 3:
        return [("=", low)]
    if op in ("", "=", "~") or (op == "^" and fixed < 3 and major == 0 and fixed == 1):
        return [(">=", low), ("<", _next(major, minor, fixed if op != "~" or fixed < 3 else 2))]
    if op == "^":
        significant = 1 if major else (2 if minor or fixed == 2 else 3)
        return [(">=", low), ("<", _next(major, minor, significant, patch))]
    if op in (">", "<=") and fixed < 3:
        return [("<" if op == "<=" else ">=", _next(major, minor, fixed))]
    return [(op, low)]


def _next(major: int, minor: int, fixed: int, patch: int = 0) -> Version:
    """The first version past the one whose first `fixed` parts are given."""
    if fixed == 1:
        return Version(major + 1, 0, 0)
    if fixed == 2:
        return Version(major, minor + 1, 0)
    return Version(major, minor, patch + 1)


def newest(versions: list[str], constraint: Constraint) -> str | None:
    """The newest of `versions` that `constraint` allows (None if none does)."""
    allowed = [(v, parsed) for v in versions if (parsed := parse_version(v)) and constraint.allows(parsed)]
    return max(allowed, key=lambda p: p[1].key())[0] if allowed else None
