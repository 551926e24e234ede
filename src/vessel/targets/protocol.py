"""The one protocol every target implements, and the small records it speaks in.

Targets do side effects and nothing else: they never decide what to apply, when to prune, or whether
something is healthy — the workflow decides, from the live objects a target returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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
class Action:
    """Something a target did to bring an object to its manifest beyond writing it, worth telling a
    person: `Restarted` "replica web-1 (exited with code 3: no config) after a 2s back-off"."""

    reason: str  # one CamelCase word, as events have: Restarted, Killed, Swept…
    message: str
    warning: bool = False  # it repaired something that had gone wrong (a crash, an orphan)


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did: whether the live object changed, the live object afterwards, and the actions
    the target took on the way (restarts, replacements…; empty for targets that only store objects)."""

    changed: bool
    live: dict[str, Any]
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class ContainerState:
    """One container of an instance: `state` is `running`, `waiting: <reason>` or `terminated: <reason>`."""

    name: str
    ready: bool
    restarts: int
    state: str


@dataclass(frozen=True)
class Instance:
    """One running copy of a workload: a pod on Kubernetes, a replica process on the local target.

    `failure` says why the instance is *failing* — crash-looping, unable to start, unable to pull its
    image — as opposed to merely not ready yet; "" when it is not failing. Each target decides, since
    only it knows its own states (CrashLoopBackOff on Kubernetes, an exit before the minimum uptime on
    the local target)."""

    name: str
    phase: str
    ready: bool
    containers: tuple[ContainerState, ...] = ()
    message: str = ""
    failure: str = ""

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.containers)


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

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        force: bool = False,
        source_dir: str | None = None,
        applied: bool = False,
    ) -> ApplyResult:
        """Create or update the object; `changed` is False when the live object already matched.

        `source_dir` is the directory of the Application file on this machine, when known: targets that
        start processes here resolve `$(VESSEL_SOURCE_DIR)` with it; it is never written into the
        object (so it reaches no cluster, digest or inventory). Others ignore it.

        `applied`: the caller knows this very manifest was applied successfully before (the inventory
        says so), so a live object that still matches it needs no write. A target that cannot tell
        otherwise which fields a changed manifest dropped (server-side apply) writes unless told."""
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

    def logs(
        self,
        key: ResourceKey,
        tail: int | None = None,
        follow: bool = False,
        *,
        since: float | None = None,
        timestamps: bool = False,
    ) -> Iterator[str]:
        """Log lines of the object's workload, where the target has any, each prefixed with the
        instance (and container) it came from: `web-0 | line`; `tail` keeps the last N of each, and
        `since` (seconds) of those only the ones written that recently (`kubectl logs --tail --since`:
        tail first, as the kubelet does). `timestamps` heads each line's text with the time it was
        written, RFC 3339 in UTC: `web-0 | 2024-05-01T12:00:00.123456Z line`.

        With `follow`, the iterator goes on yielding lines as they are written, blocking in between,
        until the caller stops: close it (`generator.close()`, or leave a `with closing(...)` block)
        to release what it holds (open files, streams, threads). It also ends by itself when there is
        nothing left to follow (the workload is gone; targets without logs end at once)."""
        ...

    def instances(self, key: ResourceKey) -> list[Instance]:
        """The running copies of the object's workload (pods, processes); empty for other objects."""
        ...

    def cluster_version(self) -> str | None:
        """The Kubernetes version templates render for here (`v1.27.3`), or None for the default."""
        ...

    def status(self) -> TargetStatus:
        """Reachability and version, for `vessel target list`."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class LabelListing(Protocol):
    """Targets that can list objects of one kind by labels, as a Kubernetes API server can (the
    `clean-jobs` step's need). `local` and `directory` targets hold no Jobs or Pods to find."""

    def list_labelled(
        self, api_version: str, kind: str, namespace: str, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Every live object of the kind in `namespace` carrying all of `labels`."""
        ...


@runtime_checkable
class ClusterReading(Protocol):
    """Targets backed by a Kubernetes API server, whose objects a render may read (a `helmchart`'s
    `valuesFrom` ConfigMaps and Secrets). `local`, `directory` and `memory` have no cluster to read."""

    def read_cluster_object(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object, or None if absent (TargetUnavailableError if the cluster cannot say)."""
        ...


@runtime_checkable
class Versioned(Protocol):
    """Targets whose objects carry a version that changes whenever anything `get` reports of them
    changes — spec, metadata or status, by whoever changed it — as a Kubernetes resourceVersion does.
    The steady state compares only that version for objects it found up to date before."""

    def live_version(self, key: ResourceKey) -> str | None:
        """The object's version as `get` would report it (`metadata.resourceVersion`), or None if
        absent; without copying the object where the target can avoid it."""
        ...


def live_version_of(live: Mapping[str, Any] | None) -> str | None:
    """The version a live object reports (`metadata.resourceVersion`), if any."""
    meta = (live or {}).get("metadata")
    version = meta.get("resourceVersion") if isinstance(meta, Mapping) else None
    return str(version) if version is not None else None
