"""From a registered target (name, type, config) to a live `Target`. The only module that knows every
target type; plugins add types through the `vessel.targets` entry point group (a callable
`(TargetInfo) -> Target`).

A target type's module is imported when a target of that type is made: a command that reaches one
directory target does not import the Kubernetes client or the process supervisor.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib import metadata

from vessel.errors import ValidationError
from vessel.targets import settings
from vessel.targets.memory import MemoryTarget
from vessel.targets.protocol import Target, TargetInfo

# Memory targets live as long as the process: every lookup of one name gets the same objects.
_MEMORY: dict[str, MemoryTarget] = {}

# The kind of rendering each target type consumes (definitions may carry one per type).
RENDER_TYPES = {
    "memory": "kubernetes",
    "directory": "kubernetes",
    "kubernetes": "kubernetes",
    "local": "local",
}


def memory_target(info: TargetInfo) -> MemoryTarget:
    if info.name not in _MEMORY:
        _MEMORY[info.name] = MemoryTarget(info)
    return _MEMORY[info.name]


def reset_memory_targets() -> None:
    _MEMORY.clear()


def _imported(where: str) -> Callable[[TargetInfo], Target]:
    """A builder that imports "module:attribute" when it first builds a target."""

    def build(info: TargetInfo) -> Target:
        module, _, attribute = where.partition(":")
        made: Target = getattr(importlib.import_module(module), attribute)(info)
        return made

    return build


def _builders() -> dict[str, Callable[[TargetInfo], Target]]:
    builders: dict[str, Callable[[TargetInfo], Target]] = {
        "memory": memory_target,
        "directory": _imported("vessel.targets.directory:DirectoryTarget"),
        "local": _imported("vessel.targets.local:LocalTarget"),
        "kubernetes": _imported("vessel.targets.kubernetes:KubernetesTarget"),
    }
    for ep in metadata.entry_points(group="vessel.targets"):
        builders[ep.name] = ep.load()
    return builders


def create(info: TargetInfo) -> Target:
    """A live target for a registered one; its settings are checked against its type's declaration."""
    builders = _builders()
    if info.type not in builders:
        raise ValidationError(
            f"unknown target type {info.type!r}", hint=f"known: {', '.join(sorted(builders))}"
        )
    declared = declared_settings(info.type, builders[info.type])
    if declared is not None:
        settings.check(info, declared)
    return builders[info.type](info)


def declared_settings(type_: str, builder: object = None) -> tuple[settings.Setting, ...] | None:
    """The settings a target type takes (None: a plugin type that declares none, so unchecked)."""
    if type_ in settings.DECLARED:
        return settings.DECLARED[type_]
    builder = builder if builder is not None else _builders().get(type_)
    declared = getattr(builder, "settings", None)
    return tuple(declared) if declared is not None else None


def known_types() -> list[str]:
    return sorted(_builders())
