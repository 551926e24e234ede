"""Warnings about changes that restart pods.

A trait marked `podDisruptive: true` changes the workload's pod template (labels, sidecars, resources…),
so adding, removing or changing it on a component that is already delivered restarts that component's
pods: a rolling update on Kubernetes, restarted processes on the local target. KubeVela only records the
flag; Vessel shows it (`vessel def show`, `def list -o json`) and, when a new revision makes such a change,
says so before delivering it: `vessel up` prints a warning and a Warning event is kept. It does not
refuse or ask — the change is what the user submitted, and `up` runs unattended in pipelines. Only
components already delivered are warned about; a new component has no pods to restart.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from vessel.definitions.definition import Kind
from vessel.definitions.registry import Registry
from vessel.model.application import Application, Component


def disruptive_changes(
    old: Application,
    old_registry: Registry,
    new: Application,
    new_registry: Registry,
    delivered: Collection[str],
) -> list[str]:
    """One message per pod-disruptive trait added, removed or changed on a delivered component."""
    before = {c.name: c for c in old.components}
    messages = []
    for comp in new.components:
        if comp.name not in delivered or comp.name not in before:
            continue
        old_traits, new_traits = _traits(before[comp.name]), _traits(comp)
        for type_ in sorted(old_traits.keys() | new_traits.keys()):
            if old_traits.get(type_) == new_traits.get(type_):
                continue
            definition = new_registry.find(Kind.TRAIT, type_) or old_registry.find(Kind.TRAIT, type_)
            if definition is None or not definition.pod_disruptive:
                continue
            change = (
                "added" if type_ not in old_traits else "removed" if type_ not in new_traits else "changed"
            )
            messages.append(
                f"component {comp.name!r}: pod-disruptive trait {type_!r} {change}: "
                "its pods will be restarted"
            )
    return messages


def _traits(component: Component) -> Mapping[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for trait in component.traits:
        found.setdefault(trait.type, []).append(trait.properties)
    return found
