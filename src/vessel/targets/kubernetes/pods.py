"""The pods of a workload, as `vessel status --tree` and `vessel logs` show them.

A workload's pods are found the way kubectl finds them: by the workload's own label selector
(`spec.selector` of Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs), in its namespace; a
CronJob's are those of the Jobs it owns; a Pod is its own. Other objects have none.

A pod that is not ready is *failing* (`Instance.failure`) rather than starting when one of its
containers waits for a reason that does not pass by itself — CrashLoopBackOff, ImagePullBackOff,
ErrImagePull, CreateContainerConfigError… — or, between two crashes, runs again unready after it last
terminated with an error. The cause names the container, the reason and how it last ended.

Logs are read per pod and container (`LogSource`). Followed, they are streamed all at once — a thread
per stream, one queue — so a quiet container never holds up a busy one.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from vessel.targets.kubernetes.client import ApiClient, Stream
from vessel.targets.protocol import ContainerState, Instance

Obj = Mapping[str, Any]
FAILING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def label_selector(selector: Any) -> str | None:
    """A LabelSelector object as the `labelSelector` query parameter, or None if it selects nothing
    (an empty or missing selector would select every pod in the namespace)."""
    if not isinstance(selector, Mapping):
        return None
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            terms.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            terms.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            terms.append(str(key))
        elif op == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms) or None


def owned_by(obj: Obj, owner: Obj) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return uid is not None and any(ref.get("uid") == uid for ref in refs)


def instance(pod: Obj) -> Instance:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    ready = (conditions.get("Ready") or {}).get("status") == "True"
    containers = tuple(
        ContainerState(
            str(c.get("name", "")), bool(c.get("ready")), int(c.get("restartCount") or 0), _state(c)
        )
        for c in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    )
    phase = str(status.get("phase") or "Pending")
    if meta.get("deletionTimestamp"):
        phase = "Terminating"
    message = str(status.get("message") or status.get("reason") or "")
    if not message and not ready:
        waiting = [c.state for c in containers if c.state.startswith("waiting: ")]
        message = waiting[0] if waiting else str((conditions.get("Ready") or {}).get("message") or "")
    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    failures = [] if ready else [f for f in (_failure(c) for c in statuses) if f]
    return Instance(str(meta.get("name", "")), phase, ready, containers, message, "; ".join(failures))


def _failure(container: Obj) -> str:
    """Why this container is failing, or "" (see the module docstring)."""
    name, restarts = container.get("name", ""), int(container.get("restartCount") or 0)
    waiting = (container.get("state") or {}).get("waiting") or {}
    last = (container.get("lastState") or {}).get("terminated") or {}
    crashed = restarts > 0 and int(last.get("exitCode") or 0) != 0 and not container.get("ready")
    if waiting.get("reason") not in FAILING_REASONS and not crashed:
        return ""
    parts = [f"container {name}"]
    if waiting.get("reason") in FAILING_REASONS:
        detail = str(waiting.get("message") or "").strip()
        parts.append(f"{waiting['reason']}" + (f" ({detail})" if detail else ""))
    if last:
        said = str(last.get("message") or "").strip().splitlines()
        code, reason = last.get("exitCode"), last.get("reason") or ""
        ended = f"last exited with code {code}" + (f" ({reason})" if reason else "")
        parts.append(ended + (f": {said[-1]}" if said else ""))
    if restarts:
        parts.append(f"restarted {restarts} time{'s' * (restarts != 1)}")
    return ": ".join(parts[:2]) + "".join(f", {p}" for p in parts[2:])


def _state(container: Obj) -> str:
    state = container.get("state") or {}
    for name in ("waiting", "terminated"):
        if name in state:
            reason = (state[name] or {}).get("reason")
            return f"{name}: {reason}" if reason else name
    return "running" if "running" in state else "unknown"


def container_names(pod: Obj) -> list[str]:
    return [str(c.get("name", "")) for c in (pod.get("spec") or {}).get("containers") or []]


@dataclass(frozen=True)
class LogSource:
    """One container's log: where to read it and the prefix its lines get (`pod`, or `pod/container`
    when the pod has several containers)."""

    prefix: str
    path: str
    container: str
    what: str


def log_sources(pod: Obj) -> list[LogSource]:
    meta = pod.get("metadata") or {}
    name, namespace = str(meta.get("name", "")), str(meta.get("namespace", ""))
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}/log"
    containers = container_names(pod)
    return [
        LogSource(
            name if len(containers) == 1 else f"{name}/{container}",
            path,
            container,
            f"logs of pod {namespace}/{name} container {container}",
        )
        for container in containers
    ]


def log_params(tail: int | None, since: float | None, timestamps: bool) -> dict[str, str]:
    """The log API's query parameters; `sinceSeconds` is whole seconds, at least 1 (as kubectl sends it)."""
    params: dict[str, str] = {}
    if tail is not None:
        params["tailLines"] = str(tail)
    if since is not None:
        params["sinceSeconds"] = str(max(1, math.ceil(since)))
    if timestamps:
        params["timestamps"] = "true"
    return params


STOP_WAIT = 2.0  # seconds a closed follow waits for its threads to notice


def follow(
    api: ApiClient, sources: list[LogSource], params: Mapping[str, str], allow: frozenset[int]
) -> Iterator[str]:
    """Every source streamed at once (`follow=true`), prefixed lines yielded as they arrive. Ends when
    every stream has ended (the pods are gone); a stream that cannot be opened raises its error (codes in
    `allow` are a stream with no lines). Closing the generator aborts the streams and waits (up to
    `STOP_WAIT`) for their threads to end."""
    arrived: queue.Queue[str | Exception | None] = queue.Queue()
    opened: list[Stream] = []
    lock = threading.Lock()
    stopped = threading.Event()

    def pump(source: LogSource) -> None:
        query = {"container": source.container, "follow": "true", **params}
        try:
            with api.stream(source.path, source.what, params=query, allow=allow) as stream:
                with lock:
                    if stopped.is_set():
                        return
                    opened.append(stream)
                try:
                    for line in stream.lines():
                        arrived.put(f"{source.prefix} | {line}")
                finally:
                    with lock:  # before its connection can go back to the pool, where abort must not reach it
                        opened.remove(stream)
        except Exception as exc:  # handed to the consumer, who raises it
            arrived.put(exc)
        finally:
            arrived.put(None)

    threads = [
        threading.Thread(target=pump, args=(s,), name=f"vessel-logs {s.prefix}", daemon=True) for s in sources
    ]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            item = arrived.get()
            if item is None:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item
    finally:
        with lock:
            stopped.set()
            for stream in opened:
                stream.abort()
        deadline = time.monotonic() + STOP_WAIT
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
