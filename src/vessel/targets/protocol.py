"""The one protocol every target implements, and the small records it speaks in.

Targets do side effects and nothing else: they never decide what to apply, when to prune, or whether
something is healthy — the workflow decides, from the live objects a target returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from vessel.model.resource_key import ResourceKey

FIELD_MANAGER = "vessel"
APP_LABEL = "app.oam.dev/name"
APP_NAMESPACE_LABEL = "app.oam.dev/namespace"


@dataclass(frozen=True)
class TargetInfo:
    """A registered target: its name, type, labels and type-specific settings (a path, a kubeconfig…)."""

    name: str
    type: str
    labels: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did: whether the live object changed, and the live object afterwards."""

    changed: bool
    live: dict[str, Any]


@dataclass(frozen=True)
class TargetStatus:
    reachable: bool
    version: str = ""
    message: str = ""


class Target(Protocol):
    """Apply, read, delete and list objects in one place. Errors: TargetUnavailableError (transient),
    TargetRejectedError (the object is invalid)."""

    info: TargetInfo
    live_state: bool  # False: the target only stores objects (no status), so existing means healthy

    def apply(self, manifest: Mapping[str, Any], *, force: bool = False) -> ApplyResult:
        """Create or update the object; `changed` is False when the live object already matched."""
        ...

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object (with its status), or None if absent."""
        ...

    def delete(self, key: ResourceKey) -> bool:
        """Delete the object; False if it was already absent."""
        ...

    def list_owned(self, app: str, namespace: str) -> list[dict[str, Any]]:
        """Every live object labelled as belonging to the application."""
        ...

    def logs(self, key: ResourceKey, tail: int | None = None) -> Iterator[str]:
        """Log lines of the object's workload, where the target has any."""
        ...

    def status(self) -> TargetStatus:
        """Reachability and version, for `vessel target list`."""
        ...

    def close(self) -> None: ...
