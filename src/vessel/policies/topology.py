"""`topology`: which targets (and namespace) a deploy step delivers to.

Targets are chosen by name (`clusters`) or by labels (`clusterLabelSelector`, or the deprecated
`clusterSelector`). With neither, the default target is used. A selection that matches nothing is an
error unless `allowEmpty` is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vessel.errors import ValidationError


class Labelled(Protocol):
    """What topology needs of a target: its name and labels (Labelled has both)."""

    @property
    def name(self) -> str: ...

    @property
    def labels(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, order=True)
class Placement:
    target: str
    namespace: str | None  # None: the Application's namespace


def place(
    properties: Mapping[str, Any],
    targets: Sequence[Labelled],
    default: str | None,
    policy: str = "topology",
) -> list[Placement]:
    namespace = properties.get("namespace") or None
    names = _selected(properties, targets, default, policy)
    if not names and not properties.get("allowEmpty", False):
        raise ValidationError(
            f"topology policy {policy!r} selects no target",
            hint="register one with `vessel target add`, fix the selector, or set allowEmpty",
        )
    return [Placement(name, namespace) for name in names]


def _selected(
    properties: Mapping[str, Any], targets: Sequence[Labelled], default: str | None, policy: str
) -> list[str]:
    known = {t.name for t in targets}
    if "clusters" in properties:
        missing = [n for n in properties["clusters"] if n not in known]
        if missing:
            raise ValidationError(
                f"topology policy {policy!r} names unknown target(s) {', '.join(missing)}",
                hint=f"known: {', '.join(sorted(known)) or 'none'}",
            )
        return list(dict.fromkeys(properties["clusters"]))
    selector = properties.get("clusterLabelSelector", properties.get("clusterSelector"))
    if selector is not None:
        return sorted(t.name for t in targets if all(t.labels.get(k) == v for k, v in selector.items()))
    return [default] if default else []
