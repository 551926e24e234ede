"""The controllers of a cluster, simulated synchronously under the cluster lock.

After an API write of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job, and after one of their
pods is written or deleted, the fake does at once what kube-controller-manager, the scheduler and the
kubelet would do over the next seconds:

- a Deployment owns one ReplicaSet per pod template, `{name}-{hash}` (label `pod-template-hash`): the
  current one is scaled to `spec.replicas`, the others to 0 — an instant rollout;
- a ReplicaSet owns `spec.replicas` pods `{name}-{5 random}`, a StatefulSet the pods `{name}-0` to
  `{name}-(N-1)`, a DaemonSet one pod per node, a Job `spec.completions` pods that have already succeeded;
- pods are scheduled to the one node, `fake-node`, and run at once: Running, Ready, every container
  started; a pod deleted by hand is replaced by its owner;
- a workload's status is derived from its pods, and is recomputed up the owner chain (pod → ReplicaSet
  → Deployment) whenever a pod changes, so `set_status("pods", ...)` simulates a crash or an unready pod.

Nothing here runs while `Cluster.controller` is off. Deleting dependents (garbage collection) is the
cluster's own job and stays on.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vessel.testing.fake_kube.kinds import BUILTIN, ResourceType

if TYPE_CHECKING:
    from vessel.testing.fake_kube.cluster import Cluster, Key

Obj = dict[str, Any]
NODE = "fake-node"
HOST_IP = "172.18.0.2"
MANAGER = "kube-controller-manager"
KUBELET = "kubelet"  # writes pod and node status; workload status is the controller manager's
TEMPLATE_HASH = "pod-template-hash"
REVISION_HASH = "controller-revision-hash"
REVISION = "deployment.kubernetes.io/revision"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # generated name suffixes: no vowels, no look-alikes
_TYPES = {rt.kind: rt for rt in BUILTIN if rt.group in ("", "apps", "batch")}
PODS = _TYPES["Pod"]


def now() -> str:
    """The fake's clock, for every timestamp it writes (tests may replace it)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conditions(before: Any, *wanted: tuple[str, str, str, str], update_time: bool = False) -> list[Obj]:
    """Conditions `(type, status, reason, message)` as controllers write them: `lastTransitionTime`
    moves only when the status does, `lastUpdateTime` (if `update_time`) when anything does."""
    prior = {c.get("type"): c for c in before or [] if isinstance(c, dict)}
    t = now()
    out = []
    for kind, status, reason, message in wanted:
        old = prior.get(kind) or {}
        same = old.get("status") == status
        cond: Obj = {"type": kind, "status": status}
        if update_time:
            unchanged = same and (old.get("reason"), old.get("message")) == (reason, message)
            cond["lastUpdateTime"] = old.get("lastUpdateTime", t) if unchanged else t
        cond["lastTransitionTime"] = old.get("lastTransitionTime", t) if same else t
        cond.update(reason=reason, message=message)
        out.append(cond)
    return out


def template_hash(template: Any) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def add_node(c: Cluster, kubelet_version: str) -> None:
    """The cluster's one node, registered and Ready as a kubelet would leave it."""
    node = _TYPES["Node"]
    labels = {"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE, "labels": labels}, "spec": {}}
    c.store(node, "", obj, KUBELET)
    status = {
        "conditions": conditions(None, ("Ready", "True", "KubeletReady", "kubelet is posting ready status")),
        "addresses": [{"type": "InternalIP", "address": HOST_IP}, {"type": "Hostname", "address": NODE}],
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "nodeInfo": {
            "kubeletVersion": kubelet_version,
            "containerRuntimeVersion": "containerd://1.7.18",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    }
    c.store(node, "", {**obj, "status": status}, KUBELET, "status")


# -- hooks the cluster calls -----------------------------------------------------------------------


def on_write(c: Cluster, rt: ResourceType, ns: str, name: str, sub: str) -> None:
    """React to an API write of `name` (`sub`: the subresource written, "" for the object itself)."""
    obj = c.objects.get((rt.group, rt.plural, ns, name))
    if not c.controller or obj is None or _TYPES.get(rt.kind) != rt:
        return
    if rt.kind == "Pod" and "status" not in obj:
        _run(c, obj)  # a pod created directly
    elif rt.kind in _CONTROLLERS and sub != "status":
        _reconcile(c, obj)
    _refresh_owners(c, obj)


def on_delete(c: Cluster, live: Obj) -> None:
    """React to an API delete: the owner of a deleted pod (or ReplicaSet) makes a new one."""
    owner = _owner(c, live) if c.controller else None
    if owner is not None:
        _reconcile(c, owner)
        _refresh_owners(c, owner)


# -- shared machinery ------------------------------------------------------------------------------


def _key(obj: Obj) -> Key:
    rt, md = _TYPES[obj["kind"]], obj["metadata"]
    return (rt.group, rt.plural, md.get("namespace", ""), md["name"])


def _replicas(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) else 1


def _labels(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _compact(status: Obj, *always: str) -> Obj:
    """Drop zero and empty fields, as Go's omitempty does, except those Kubernetes always writes."""
    return {k: v for k, v in status.items() if k in always or v not in (0, None, "", [], {})}


def _owner(c: Cluster, obj: Obj) -> Obj | None:
    """The workload that controls `obj`, if it still exists."""
    md = obj.get("metadata") or {}
    for ref in md.get("ownerReferences") or []:
        rt = _TYPES.get(str(ref.get("kind"))) if isinstance(ref, dict) and ref.get("controller") else None
        if rt is None or rt.kind not in _CONTROLLERS:
            continue
        owner = c.objects.get((rt.group, rt.plural, md.get("namespace", ""), str(ref.get("name"))))
        if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
            return owner
    return None


def _controller_ref(owner: Obj) -> Obj:
    md = owner["metadata"]
    ref = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": md["name"], "uid": md["uid"]}
    return {**ref, "controller": True, "blockOwnerDeletion": True}


def _children(c: Cluster, owner: Obj, kind: str) -> list[Obj]:
    rt = _TYPES[kind]
    return [
        o for (g, p, _, _), o in c.dependents(owner["metadata"]["uid"]) if (g, p) == (rt.group, rt.plural)
    ]


def _reconcile(c: Cluster, obj: Obj) -> None:
    _CONTROLLERS[obj["kind"]][0](c, obj)
    _write_status(c, obj)


def _write_status(c: Cluster, obj: Obj) -> Obj:
    key = _key(obj)
    live = c.objects[key]
    status = _CONTROLLERS[live["kind"]][1](c, live)
    return c.store(_TYPES[live["kind"]], key[2], {**live, "status": status}, MANAGER, "status")


def _refresh_owners(c: Cluster, obj: Obj) -> None:
    owner = _owner(c, obj)
    while owner is not None:
        owner = _owner(c, _write_status(c, owner))


# -- pods ------------------------------------------------------------------------------------------


def _pod_name(c: Cluster, ns: str, prefix: str) -> str:
    while True:
        name = f"{prefix}-{''.join(random.choices(_NAME_CHARS, k=5))}"
        if ("", "pods", ns, name) not in c.objects:
            return name


def _new_pod(
    c: Cluster,
    owner: Obj,
    labels: dict[str, str],
    spec: Obj | None = None,
    name: str = "",
    done: bool = False,
) -> None:
    """Create the pod `owner` would from its template (named `{owner}-{5 random}` unless `name` is
    given), and run it (`done`: run it to completion)."""
    template = (owner.get("spec") or {}).get("template") or {}
    template_md = template.get("metadata") or {}
    owner_md = owner["metadata"]
    ns = owner_md.get("namespace", "")
    md: Obj = {"name": name or _pod_name(c, ns, owner_md["name"]), "namespace": ns}
    if not name:
        md["generateName"] = owner_md["name"] + "-"
    md["labels"] = {**(template_md.get("labels") or {}), **labels}
    if template_md.get("annotations"):
        md["annotations"] = dict(template_md["annotations"])
    md["ownerReferences"] = [_controller_ref(owner)]
    pod_spec = {**copy.deepcopy(template.get("spec") or {}), "nodeName": NODE, **(spec or {})}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": pod_spec}
    _run(c, c.store(PODS, ns, pod, MANAGER), done)


def _run(c: Cluster, pod: Obj, done: bool = False) -> None:
    """Schedule `pod` to the node (if it is not yet) and start its containers, as the kubelet reports."""
    ns = pod["metadata"].get("namespace", "")
    if not (pod.get("spec") or {}).get("nodeName"):
        pod = c.store(
            PODS, ns, {**pod, "spec": {**(pod.get("spec") or {}), "nodeName": NODE}}, "kube-scheduler"
        )
    t = now()
    state: Obj = (
        {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}}
        if done
        else {"running": {"startedAt": t}}
    )
    containers = [
        {
            "name": ct.get("name", ""),
            "image": ct.get("image", ""),
            "imageID": "",
            "ready": not done,
            "started": not done,
            "restartCount": 0,
            "state": state,
        }
        for ct in (pod.get("spec") or {}).get("containers") or []
        if isinstance(ct, dict)
    ]

    def condition(kind: str, status: str) -> Obj:
        out: Obj = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": t}
        return out | ({"reason": "PodCompleted"} if done else {})

    ready = "False" if done else "True"
    ip = _free_ip(c)
    status = {
        "phase": "Succeeded" if done else "Running",
        "conditions": [
            condition("Initialized", "True"),
            condition("Ready", ready),
            condition("ContainersReady", ready),
            condition("PodScheduled", "True"),
        ],
        "hostIP": HOST_IP,
        "hostIPs": [{"ip": HOST_IP}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": t,
        "containerStatuses": containers,
    }
    c.store(PODS, ns, {**pod, "status": status}, KUBELET, "status")


def _free_ip(c: Cluster) -> str:
    return c.objects.free_pod_ip()


# -- the controllers: (make the children, derive the status) per kind -------------------------------


def _replicaset(c: Cluster, rs: Obj) -> None:
    pods, want = _children(c, rs, "Pod"), _replicas(rs)
    for _ in range(want - len(pods)):
        _new_pod(c, rs, {})
    newest_first = pods[::-1]
    for pod in sorted(newest_first, key=_ready)[: max(len(pods) - want, 0)]:  # unready, then newest
        c.remove(_key(pod))


def _replicaset_status(c: Cluster, rs: Obj) -> Obj:
    pods = _children(c, rs, "Pod")
    ready = sum(map(_ready, pods))
    status = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"]["generation"],
    }
    return _compact(status, "replicas")


def _revision(rs: Obj) -> int:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0")
    return int(value) if str(value).isdigit() else 0


def _deployment(c: Cluster, d: Obj) -> None:
    md, spec = d["metadata"], d.get("spec") or {}
    ns, template = md.get("namespace", ""), spec.get("template") or {}
    digest = template_hash(template)
    current = f"{md['name']}-{digest}"
    owned = _children(c, d, "ReplicaSet")
    newest = max((_revision(rs) for rs in owned if rs["metadata"]["name"] != current), default=0)
    rs = next((rs for rs in owned if rs["metadata"]["name"] == current), None)
    if rs is None:
        labels = {**((template.get("metadata") or {}).get("labels") or {}), TEMPLATE_HASH: digest}
        selector = copy.deepcopy(spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), TEMPLATE_HASH: digest}
        rs_template = copy.deepcopy(template)
        rs_template.setdefault("metadata", {})["labels"] = labels
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": current,
                "namespace": ns,
                "labels": labels,
                "annotations": {REVISION: "0"},
                "ownerReferences": [_controller_ref(d)],
            },
            "spec": {"selector": selector, "template": rs_template},
        }
    rs = copy.deepcopy(rs)
    rs["spec"]["replicas"] = _replicas(d)
    if _revision(rs) <= newest:  # new, or an old template back in use: the next revision
        rs["metadata"].setdefault("annotations", {})[REVISION] = str(newest + 1)
    _reconcile(c, c.store(_TYPES["ReplicaSet"], ns, rs, MANAGER))
    for old in owned:
        if old["metadata"]["name"] != current:
            if _replicas(old) != 0:
                old = c.store(
                    _TYPES["ReplicaSet"], ns, {**old, "spec": {**old["spec"], "replicas": 0}}, MANAGER
                )
            _reconcile(c, old)


def _max_unavailable(spec: Obj, replicas: int) -> int:
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    value = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%")
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return replicas * int(value[:-1]) // 100  # rounded down, as Kubernetes does
    return value if isinstance(value, int) else 0


_AVAILABLE = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
_UNAVAILABLE = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")


def _deployment_status(c: Cluster, d: Obj) -> Obj:
    md, spec = d["metadata"], d.get("spec") or {}
    want = _replicas(d)
    current = f"{md['name']}-{template_hash(spec.get('template') or {})}"
    by_set = {rs["metadata"]["name"]: _children(c, rs, "Pod") for rs in _children(c, d, "ReplicaSet")}
    pods, updated = [p for ps in by_set.values() for p in ps], by_set.get(current, [])
    available = sum(map(_ready, pods))
    complete = len(updated) == len(pods) == want and all(map(_ready, updated))
    minimum = available >= want - _max_unavailable(spec, want)
    available_condition = ("Available", *(_AVAILABLE if minimum else _UNAVAILABLE))
    progressing = (
        (
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{current}" has successfully progressed.',
        )
        if complete
        else ("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{current}" is progressing.')
    )
    before = (d.get("status") or {}).get("conditions")
    status = {
        "observedGeneration": md["generation"],
        "replicas": len(pods),
        "updatedReplicas": len(updated),
        "readyReplicas": available,
        "availableReplicas": available,
        "unavailableReplicas": max(want - available, 0),
        "conditions": conditions(before, available_condition, progressing, update_time=True),
    }
    return _compact(status)


def _ordinal(pod: Obj) -> int:
    suffix = pod["metadata"]["name"].rpartition("-")[2]
    return int(suffix) if suffix.isdigit() else -1


def _statefulset(c: Cluster, sts: Obj) -> None:
    md, spec = sts["metadata"], sts.get("spec") or {}
    revision = f"{md['name']}-{template_hash(spec.get('template') or {})}"
    pods = {p["metadata"]["name"]: p for p in _children(c, sts, "Pod")}
    for i in range(_replicas(sts)):
        name = f"{md['name']}-{i}"
        pod = pods.pop(name, None)
        if pod is not None and _labels(pod).get(REVISION_HASH) == revision:
            continue
        if pod is not None:
            c.remove(_key(pod))  # an old revision: replaced at once
        labels = {
            REVISION_HASH: revision,
            "statefulset.kubernetes.io/pod-name": name,
            "apps.kubernetes.io/pod-index": str(i),
        }
        extra = {"hostname": name} | ({"subdomain": spec["serviceName"]} if spec.get("serviceName") else {})
        _new_pod(c, sts, labels, extra, name)
    for pod in sorted(pods.values(), key=_ordinal, reverse=True):
        c.remove(_key(pod))


def _statefulset_status(c: Cluster, sts: Obj) -> Obj:
    revision = f"{sts['metadata']['name']}-{template_hash((sts.get('spec') or {}).get('template') or {})}"
    pods = _children(c, sts, "Pod")
    ready = sum(map(_ready, pods))
    updated = sum(_labels(p).get(REVISION_HASH) == revision for p in pods)
    status = {
        "observedGeneration": sts["metadata"]["generation"],
        "replicas": len(pods),
        "readyReplicas": ready,
        "currentReplicas": updated,
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }
    return _compact(status, "replicas", "availableReplicas", "collisionCount")


def _nodes(c: Cluster) -> list[str]:
    return [name for (g, p, _, name) in c.objects if (g, p) == ("", "nodes")]


def _daemonset(c: Cluster, ds: Obj) -> None:
    md = ds["metadata"]
    digest = template_hash((ds.get("spec") or {}).get("template") or {})
    by_node: dict[str, list[Obj]] = {}
    for pod in _children(c, ds, "Pod"):
        by_node.setdefault((pod.get("spec") or {}).get("nodeName", ""), []).append(pod)
    for node in _nodes(c):
        pods = by_node.pop(node, [])
        keep = next((p for p in pods if _labels(p).get(REVISION_HASH) == digest), None)
        for pod in pods:
            if pod is not keep:
                c.remove(_key(pod))
        if keep is None:
            labels = {REVISION_HASH: digest, "pod-template-generation": str(md["generation"])}
            _new_pod(c, ds, labels, {"nodeName": node})
    for pods in by_node.values():  # on nodes that are gone
        for pod in pods:
            c.remove(_key(pod))


def _daemonset_status(c: Cluster, ds: Obj) -> Obj:
    digest = template_hash((ds.get("spec") or {}).get("template") or {})
    pods, nodes = _children(c, ds, "Pod"), len(_nodes(c))
    ready = sum(map(_ready, pods))
    status = {
        "currentNumberScheduled": len(pods),
        "numberMisscheduled": 0,
        "desiredNumberScheduled": nodes,
        "numberReady": ready,
        "observedGeneration": ds["metadata"]["generation"],
        "updatedNumberScheduled": sum(_labels(p).get(REVISION_HASH) == digest for p in pods),
        "numberAvailable": ready,
        "numberUnavailable": max(nodes - ready, 0),
    }
    return _compact(
        status, "currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"
    )


def _finished(job: Obj) -> bool:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    done = any(
        c.get("type") == "Complete" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    return done or bool(spec.get("suspend"))


def _completions(job: Obj) -> int:
    value = (job.get("spec") or {}).get("completions", 1)
    return value if isinstance(value, int) else 1


def _job(c: Cluster, job: Obj) -> None:
    if _finished(job):
        return
    for _ in range(_completions(job) - len(_children(c, job, "Pod"))):
        _new_pod(c, job, {}, done=True)


def _job_status(c: Cluster, job: Obj) -> Obj:
    status = job.get("status") or {}
    if _finished(job):
        return status
    pods = _children(c, job, "Pod")
    phases = [(p.get("status") or {}).get("phase") for p in pods]
    out: Obj = {
        "startTime": status.get("startTime") or now(),
        "active": sum(ph not in ("Succeeded", "Failed") for ph in phases),
        "succeeded": phases.count("Succeeded"),
        "failed": phases.count("Failed"),
        "ready": sum(map(_ready, pods)),
        "terminating": 0,
        "uncountedTerminatedPods": {},
    }
    if out["succeeded"] >= _completions(job):
        out["completionTime"] = now()
        out["conditions"] = conditions(
            status.get("conditions"),
            ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
        )
    return _compact(out, "ready", "terminating", "uncountedTerminatedPods")


_CONTROLLERS: dict[str, tuple[Callable[[Cluster, Obj], None], Callable[[Cluster, Obj], Obj]]] = {
    "Deployment": (_deployment, _deployment_status),
    "ReplicaSet": (_replicaset, _replicaset_status),
    "StatefulSet": (_statefulset, _statefulset_status),
    "DaemonSet": (_daemonset, _daemonset_status),
    "Job": (_job, _job_status),
}
