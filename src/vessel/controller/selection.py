"""Label selectors (`app=web,tier!=db,canary,!legacy`), the equality-based ones Kubernetes' `-l` takes,
and the filters that select applications from their list document (the API's list, later `vessel ls`).

An application's labels are its current revision's `metadata.labels`: read only when a selector is
given, so an unfiltered list costs no revision read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from vessel.errors import ValidationError
from vessel.store.records import Phase

_REQUIREMENT = re.compile(r"^(!?)([A-Za-z0-9][-A-Za-z0-9_./]*)(?:(==|=|!=)([-A-Za-z0-9_.]*))?$")
HEALTH = {"healthy": {Phase.RUNNING}, "unhealthy": {Phase.UNHEALTHY, Phase.FAILED}}


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "exists", "!exists"
    value: str = ""

    def holds(self, labels: Mapping[str, object]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        equal = present and str(labels[self.key]) == self.value
        return equal if self.op == "=" else not equal


def parse_selector(text: str, field: str = "selector") -> tuple[Requirement, ...]:
    """The requirements of a selector; one that cannot be read is a ValidationError naming it."""
    found: list[Requirement] = []
    for part in (p.strip() for p in text.split(",")):
        match = _REQUIREMENT.match(part)
        if not part or match is None or (match.group(1) and match.group(3)):
            raise ValidationError(
                f"{field}: cannot read {part!r}", hint="write key=value, key!=value, key or !key"
            )
        negated, key, op, value = match.groups()
        if op is None:
            found.append(Requirement(key, "!exists" if negated else "exists"))
        else:
            found.append(Requirement(key, "=" if op in ("=", "==") else "!=", value))
    return tuple(found)


def check_health(health: str | None) -> None:
    if health is not None and health not in HEALTH:
        raise ValidationError(f"health: {health!r} is not one of {', '.join(HEALTH)}")


def healthy_as_asked(phase: str, health: str | None) -> bool:
    return health is None or phase in HEALTH[health]
