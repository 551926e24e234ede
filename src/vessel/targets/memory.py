"""`memory`: an in-process target with the full protocol, for tests and benchmarks.

It behaves like a small, obedient cluster: applies compare like server-side apply (every field the
manifest sets must hold live; server defaults such as `spec.replicas: 1` do not count) and bump
`metadata.generation` only when the object really changed; workloads report themselves ready (unless
told otherwise: `unhealthy` ones are not ready yet, `failing` ones crash-loop), other status fields are
whatever a test says a cluster's controllers report (`reported`: a Service's load balancer, an
Ingress's address), and faults can be injected (`unavailable`, `reject`, `fail_next`) to exercise
retries and error paths. Counters record every call, so tests can assert "no changing apply happened".

Like an API server, it gives every object a `metadata.resourceVersion` that changes whenever anything it
reports of the object changes (`Versioned`): on each changing apply; when a test edits or replaces an
object in `objects` behind its back, as a person with kubectl would (it notices the next time it reads
the object: a digest of each object as last written is kept); and when the status it reports changes
(`unhealthy`, `failing`, `reported`: the version then carries a digest of those).
"""

from __future__ import annotations

import copy
import hashlib
import marshal
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vessel.errors import TargetRejectedError, TargetUnavailableError, TransientError
from vessel.model.resource_key import ResourceKey
from vessel.targets import settings
from vessel.targets.applied import matches
from vessel.targets.protocol import (
    APP_LABEL,
    APP_NAMESPACE_LABEL,
    ApplyResult,
    ContainerState,
    Instance,
    TargetInfo,
    TargetStatus,
)


@dataclass
class Counters:
    applies: int = 0
    changing_applies: int = 0
    gets: int = 0
    deletes: int = 0
    versions: int = 0  # live_version calls


@dataclass
class MemoryTarget:
    info: TargetInfo
    live_state = True
    objects: dict[ResourceKey, dict[str, Any]] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    unavailable: bool = False  # every call fails with TargetUnavailableError
    unhealthy: set[ResourceKey] = field(default_factory=set)  # these report not-ready status
    failing: dict[ResourceKey, str] = field(default_factory=dict)  # not ready, instances failing with this
    source_dirs: dict[ResourceKey, str | None] = field(default_factory=dict)  # as the last apply said
    reported: dict[ResourceKey, dict[str, Any]] = field(default_factory=dict)  # status fields, as reported
    reject: dict[ResourceKey, str] = field(default_factory=dict)  # apply fails terminally with the message
    _fail_next: list[TransientError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _version: int = 0
    _marks: dict[ResourceKey, bytes] = field(default_factory=dict)  # digest of each object as written

    @classmethod
    def named(cls, name: str, **labels: str) -> MemoryTarget:
        return cls(TargetInfo(name, "memory", labels))

    def fail_next(self, count: int = 1, message: str = "injected failure") -> None:
        """The next `count` calls fail with a transient error."""
        self._fail_next.extend(TargetUnavailableError(f"{self.info.name}: {message}") for _ in range(count))

    def _check(self) -> None:
        if self.unavailable:
            raise TargetUnavailableError(f"target {self.info.name!r} is unreachable")
        if self._fail_next:
            raise self._fail_next.pop(0)

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        force: bool = False,
        source_dir: str | None = None,
        applied: bool = False,
    ) -> ApplyResult:
        with self._lock:
            self._check()
            key = ResourceKey.of(manifest)
            self.source_dirs[key] = source_dir
            if key in self.reject:
                raise TargetRejectedError(f"{key}: {self.reject[key]}")
            self.counters.applies += 1
            live = self._observe(key)
            if live is not None and matches(live, manifest):
                return ApplyResult(False, copy.deepcopy(self._with_status(key, live)))
            self.counters.changing_applies += 1
            self._version += 1
            stored = _defaulted(copy.deepcopy(dict(manifest)))
            meta = stored.setdefault("metadata", {})
            old_meta = (live or {}).get("metadata", {})
            meta["generation"] = old_meta.get("generation", 0) + 1
            meta["resourceVersion"] = str(self._version)
            meta["uid"] = old_meta.get("uid") or f"{self.info.name}-{self._version}"
            self.objects[key] = stored
            self._marks[key] = _mark(stored)
            return ApplyResult(True, copy.deepcopy(self._with_status(key, stored)))

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        with self._lock:
            self._check()
            self.counters.gets += 1
            live = self._observe(key)
            return None if live is None else copy.deepcopy(self._with_status(key, live))

    def live_version(self, key: ResourceKey) -> str | None:
        with self._lock:
            self._check()
            self.counters.versions += 1
            live = self._observe(key)
            return None if live is None else self._reported_version(key, live)

    def delete(self, key: ResourceKey) -> bool:
        with self._lock:
            self._check()
            self.counters.deletes += 1
            self._marks.pop(key, None)
            return self.objects.pop(key, None) is not None

    def list_owned(self, app: str, namespace: str) -> list[dict[str, Any]]:
        with self._lock:
            self._check()
            observed = [(key, self._observe(key)) for key in sorted(self.objects)]
            return [
                copy.deepcopy(self._with_status(key, obj))
                for key, obj in observed
                if obj is not None
                and _labels(obj).get(APP_LABEL) == app
                and _labels(obj).get(APP_NAMESPACE_LABEL, namespace) == namespace
            ]

    def list_labelled(
        self, api_version: str, kind: str, namespace: str, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        with self._lock:
            self._check()
            observed = [(key, self._observe(key)) for key in sorted(self.objects)]
            return [
                copy.deepcopy(self._with_status(key, obj))
                for key, obj in observed
                if obj is not None
                and (key.api_version, key.kind, key.namespace) == (api_version, kind, namespace)
                and all(_labels(obj).get(k) == v for k, v in labels.items())
            ]

    def logs(
        self,
        key: ResourceKey,
        tail: int | None = None,
        follow: bool = False,
        *,
        since: float | None = None,
        timestamps: bool = False,
    ) -> Iterator[str]:
        return iter(())

    def instances(self, key: ResourceKey) -> list[Instance]:
        """One instance per replica a workload reports (named `<name>-<n>`), ready as its status says;
        a workload marked `failing` has instances that fail with its message."""
        live = self.get(key)
        status = (live or {}).get("status") or {}
        if live is None or "replicas" not in status:
            return []
        ready = int(status.get("readyReplicas", 0))
        failure = self.failing.get(key, "")
        containers = ((live.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
        return [
            Instance(
                f"{key.name}-{i}",
                "Running",
                i < ready,
                tuple(ContainerState(str(c.get("name", "")), i < ready, 0, "running") for c in containers),
                failure=failure if i >= ready else "",
            )
            for i in range(int(status["replicas"]))
        ]

    def cluster_version(self) -> str | None:
        return settings.cluster_version(self.info)

    def status(self) -> TargetStatus:
        if self.unavailable:
            return TargetStatus(False, message="unreachable (injected)")
        return TargetStatus(True, "memory")

    def close(self) -> None:
        return None

    def _observe(self, key: ResourceKey) -> dict[str, Any] | None:
        """The stored object, with a new resourceVersion if it was edited since it was last written."""
        obj = self.objects.get(key)
        if obj is None:
            self._marks.pop(key, None)
            return None
        if self._marks.get(key) != _mark(obj):
            self._version += 1
            meta = obj.get("metadata")
            if not isinstance(meta, dict):
                meta = obj["metadata"] = {}
            meta["resourceVersion"] = str(self._version)
            self._marks[key] = _mark(obj)
        return obj

    def _reported_version(self, key: ResourceKey, obj: dict[str, Any]) -> str:
        """The object's resourceVersion as reported: the stored one, followed by a digest of the status
        a test set for it (ready workloads report none), so a changed status is a new version."""
        version = str(obj["metadata"].get("resourceVersion", ""))
        if key not in self.unhealthy and key not in self.failing and key not in self.reported:
            return version
        set_ = (key in self.unhealthy, self.failing.get(key), self.reported.get(key))
        return f"{version}.{zlib.crc32(repr(set_).encode()):08x}"

    def _with_status(self, key: ResourceKey, obj: dict[str, Any]) -> dict[str, Any]:
        """The object as a cluster would report it: workloads ready, or not if marked unhealthy; a
        Service with its cluster IP."""
        spec = obj.get("spec") or {}
        replicas = spec.get("replicas", 1)
        ready = 0 if key in self.unhealthy or key in self.failing else replicas
        generation = obj.get("metadata", {}).get("generation", 1)
        status: dict[str, Any] = {"observedGeneration": generation}
        if obj.get("kind") in ("Deployment", "StatefulSet", "ReplicaSet"):
            status.update(
                replicas=replicas, readyReplicas=ready, updatedReplicas=ready, availableReplicas=ready
            )
            if obj.get("kind") == "StatefulSet":
                status.update(currentReplicas=ready, currentRevision="r", updateRevision="r")
        elif obj.get("kind") == "DaemonSet":
            wanted = 0 if key in self.unhealthy or key in self.failing else 1
            status.update(
                desiredNumberScheduled=1,
                numberReady=wanted,
                updatedNumberScheduled=wanted,
                numberAvailable=wanted,
            )
        elif obj.get("kind") == "Job":
            done = 0 if key in self.unhealthy or key in self.failing else spec.get("completions", 1)
            status.update(succeeded=done)
        meta = {**obj["metadata"], "resourceVersion": self._reported_version(key, obj)}
        reported = {**status, **copy.deepcopy(self.reported.get(key, {}))}
        return {**_with_cluster_ip(key, {**obj, "metadata": meta}), "status": reported}


def _mark(obj: dict[str, Any]) -> bytes:
    """A digest of the object as it is now: an edit in place changes it."""
    try:
        content = marshal.dumps(obj, 2)  # version 2: no back-references, which follow refcounts
    except ValueError:  # something marshal cannot write (a test's own type): its repr tells it apart
        content = repr(obj).encode()
    return hashlib.blake2b(content, digest_size=16).digest()


def _defaulted(obj: dict[str, Any]) -> dict[str, Any]:
    """Fill what an API server defaults (and status rules rely on), like `spec.replicas: 1`."""
    if obj.get("kind") in ("Deployment", "StatefulSet", "ReplicaSet"):
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
    return obj


def _with_cluster_ip(key: ResourceKey, obj: dict[str, Any]) -> dict[str, Any]:
    """A Service as a cluster reports it: with the cluster IP it allocated (the same one for the same
    Service; none for an ExternalName or headless one)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") != "Service" or spec.get("type") == "ExternalName" or spec.get("clusterIP"):
        return obj
    digest = hashlib.sha256(str(key).encode()).digest()
    ip = f"10.96.{digest[0]}.{digest[1] % 254 + 1}"
    return {**obj, "spec": {"type": "ClusterIP", **spec, "clusterIP": ip, "clusterIPs": [ip]}}


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}
