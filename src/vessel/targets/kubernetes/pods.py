"""The pods of a workload, as `vessel status --tree` and `vessel logs` show them.

A workload's pods are found the way kubectl finds them: by the workload's own label selector
(`spec.selector` of Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs), in its namespace; a
CronJob's are those of the Jobs it owns; a Pod is its own. Other objects have none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.targets.protocol import ContainerState, Instance

Obj = Mapping[str, Any]


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
    return Instance(str(meta.get("name", "")), phase, ready, containers, message)


def _state(container: Obj) -> str:
    state = container.get("state") or {}
    for name in ("waiting", "terminated"):
        if name in state:
            reason = (state[name] or {}).get("reason")
            return f"{name}: {reason}" if reason else name
    return "running" if "running" in state else "unknown"


def container_names(pod: Obj) -> list[str]:
    return [str(c.get("name", "")) for c in (pod.get("spec") or {}).get("containers") or []]
