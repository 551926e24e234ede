"""Traits that cannot be attached to one component together: a TraitDefinition's `conflictsWith`.

A rule names other traits as KubeVela's do: a trait definition name (`gateway`), `*` (every other
trait), or a label selector over the other trait definition's `metadata.labels`
(`labelSelector:kind=ingress,tier!=edge`; `key`, `!key`, `key=value`, `key==value`, `key!=value`).
KubeVela's CRD forms match the CRD behind a trait (`services.k8s.io` as an API resource,
`*.networking.k8s.io` as an API group); Vessel's trait definitions have no CRD, so a dotted word is read
as a definition name (they may contain dots) and a `*.group` pattern is refused when the definition is
loaded — a rule that could never match would be silently ignored.

A conflict holds when either trait's definition lists the other, and is an input error naming both
traits and the component, raised when the component renders (submit, dry-run, every deploy placement).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

from vessel.definitions.definition import Definition
from vessel.errors import DefinitionError, Location, ValidationError
from vessel.model.application import Application, Component

SELECTOR = "labelSelector:"
EVERY_OTHER = "*"
_KEY = r"[A-Za-z0-9][A-Za-z0-9./_-]*"
_REQUIREMENT = re.compile(rf"!?{_KEY}|{_KEY}\s*(==|!=|=)\s*[A-Za-z0-9._-]*")


def check_rules(rules: Sequence[str], locate: Callable[[int], Location]) -> None:
    """Refuse rules Vessel cannot match (API-group patterns, set-based selectors) when loading."""
    for i, rule in enumerate(rules):
        if rule.startswith("*") and rule != EVERY_OTHER:
            raise DefinitionError(
                f"conflictsWith {rule!r} matches traits by API group, which Vessel's trait definitions "
                "do not have",
                locate(i),
                hint="list trait definition names, '*', or labelSelector:key=value",
            )
        unreadable = [r for r in _requirements(rule) if not _REQUIREMENT.fullmatch(r)]
        if rule.startswith(SELECTOR) and (unreadable or not _requirements(rule)):
            raise DefinitionError(
                f"conflictsWith {rule!r}: cannot read the label selector",
                locate(i),
                hint="write key, !key, key=value or key!=value, separated by commas",
            )


def conflict(a: Definition, b: Definition) -> tuple[Definition, str] | None:
    """(the definition that lists the other, the rule) when traits `a` and `b` conflict, else None."""
    for owner, other in ((a, b), (b, a)):
        for rule in owner.conflicts_with:
            if _matches(rule, other):
                return owner, rule
    return None


def check_component(app: Application, component: Component, traits: Mapping[str, Definition]) -> None:
    """Raise a ValidationError for the first pair of the component's traits that conflict. `traits`
    maps trait types to their definitions; unknown types are left out (they are reported on their own)."""
    known = [t for t in component.traits if t.type in traits]
    for a, b in combinations(known, 2):
        found = conflict(traits[a.type], traits[b.type])
        if found is not None:
            owner, rule = found
            raise ValidationError(
                f"component {component.name!r}: traits {a.type!r} and {b.type!r} cannot be attached "
                f"together (the definition of {owner.name!r} has conflictsWith {rule!r})",
                app.where(b.path),
                hint="remove one of them",
            )


def _matches(rule: str, other: Definition) -> bool:
    if rule == EVERY_OTHER:
        return True
    if rule.startswith(SELECTOR):
        return all(_holds(req, other.labels) for req in _requirements(rule))
    return rule == other.name


def _requirements(rule: str) -> list[str]:
    if not rule.startswith(SELECTOR):
        return []
    return [r.strip() for r in rule[len(SELECTOR) :].split(",") if r.strip()]


def _holds(requirement: str, labels: Mapping[str, str]) -> bool:
    if "!=" in requirement:
        key, value = (s.strip() for s in requirement.split("!=", 1))
        return labels.get(key) != value
    if "=" in requirement:
        key, value = (s.strip() for s in requirement.replace("==", "=").split("=", 1))
        return labels.get(key) == value
    if requirement.startswith("!"):
        return requirement[1:] not in labels
    return requirement in labels
