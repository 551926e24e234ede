"""`envbinding` (KubeVela's deprecated policy) in Vessel's terms: one env = a topology + an override.

An env's `selector.components` and `patch.components` are an override policy's `selector` and
`components` (`override.py`: the same merge, `disable: true` removes a trait). Its placement is a
topology: `clusterSelector.name` names one target, `clusterSelector.labels` selects targets by label,
neither means the default target; `namespaceSelector.name` is the namespace. A namespace chosen by
labels has no meaning for a target and is refused (KubeVela refuses it too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vessel.errors import ValidationError
from vessel.model.application import Component
from vessel.policies.override import apply_overrides
from vessel.policies.topology import Labelled, Placement, place


def env_components(components: Sequence[Component], env: Mapping[str, Any]) -> tuple[Component, ...]:
    """The components as `env` sees them: patched, then filtered by its selector."""
    override: dict[str, Any] = {"components": (env.get("patch") or {}).get("components", ())}
    selector = (env.get("selector") or {}).get("components")
    if selector is not None:
        override["selector"] = selector
    return apply_overrides(components, override)


def env_placements(
    env: Mapping[str, Any], targets: Sequence[Labelled], default: str | None
) -> list[Placement]:
    """Where `env` delivers: its placement as a topology policy's properties, placed."""
    placement = env.get("placement") or {}
    clusters = placement.get("clusterSelector") or {}
    namespaces = placement.get("namespaceSelector") or {}
    if namespaces.get("labels"):
        raise ValidationError(
            f"envbinding env {env.get('name')!r}: placement.namespaceSelector.labels is not supported",
            hint="name the namespace: placement.namespaceSelector.name",
        )
    topology: dict[str, Any] = {}
    if clusters.get("name"):
        topology["clusters"] = [clusters["name"]]
    elif clusters.get("labels"):
        topology["clusterLabelSelector"] = clusters["labels"]
    if namespaces.get("name"):
        topology["namespace"] = namespaces["name"]
    return place(topology, targets, default, f"envbinding env {env.get('name')}")
