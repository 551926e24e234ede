"""KubeVela's `ref-objects` component: existing objects, read from a target, delivered as the component.

Each item of `objects` selects objects: by `resource` (and `group`) or by `apiVersion` and `kind`; by
`name` (the component's name when neither a name nor a `labelSelector` is given) or by
`labelSelector`, not both; in `namespace` (else the application's) on target `cluster` (else the
target the component is being delivered to). When a deploy renders the component, the selected objects
are read and cleaned of what the API server wrote (`resourceVersion`, `uid`, `status`, a Service's
allocated cluster IP…), and the component is rendered with them in place of the selectors: the first is
its workload, the others its outputs (`ref-objects.yaml`). A referred object on the target it is
delivered to is adopted — naming it is the user's consent — while one another application writes stays
theirs. An object that is not there is waited for (a transient error), as KubeVela retries.

Vessel has no API discovery across groups, so `resource` is read from a table of Kubernetes' own
resources (`RESOURCES`); other kinds are named with `apiVersion` and `kind`. `urls` (objects fetched
over HTTP) is refused: put such objects in a `k8s-objects` component.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from vessel.errors import TransientError, ValidationError
from vessel.model.application import Application, Component
from vessel.model.frozen import freeze, thaw
from vessel.model.resource_key import ResourceKey
from vessel.render.contract import CLUSTER_SCOPED
from vessel.targets.protocol import Target

REF_OBJECTS = "ref-objects"

# (group, plural resource) -> (apiVersion, kind), for Kubernetes' own resources
RESOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("", "configmaps"): ("v1", "ConfigMap"),
    ("", "secrets"): ("v1", "Secret"),
    ("", "services"): ("v1", "Service"),
    ("", "serviceaccounts"): ("v1", "ServiceAccount"),
    ("", "persistentvolumeclaims"): ("v1", "PersistentVolumeClaim"),
    ("", "persistentvolumes"): ("v1", "PersistentVolume"),
    ("", "pods"): ("v1", "Pod"),
    ("", "namespaces"): ("v1", "Namespace"),
    ("", "endpoints"): ("v1", "Endpoints"),
    ("", "limitranges"): ("v1", "LimitRange"),
    ("", "resourcequotas"): ("v1", "ResourceQuota"),
    ("apps", "deployments"): ("apps/v1", "Deployment"),
    ("apps", "statefulsets"): ("apps/v1", "StatefulSet"),
    ("apps", "daemonsets"): ("apps/v1", "DaemonSet"),
    ("apps", "replicasets"): ("apps/v1", "ReplicaSet"),
    ("batch", "jobs"): ("batch/v1", "Job"),
    ("batch", "cronjobs"): ("batch/v1", "CronJob"),
    ("autoscaling", "horizontalpodautoscalers"): ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy", "poddisruptionbudgets"): ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io", "ingresses"): ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io", "networkpolicies"): ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io", "ingressclasses"): ("networking.k8s.io/v1", "IngressClass"),
    ("rbac.authorization.k8s.io", "roles"): ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io", "rolebindings"): ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io", "clusterroles"): ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("storage.k8s.io", "storageclasses"): ("storage.k8s.io/v1", "StorageClass"),
}
SERVER_FIELDS = ("resourceVersion", "generation", "ownerReferences", "deletionTimestamp", "managedFields", "uid")


class Targets(Protocol):
    def get(self, name: str) -> Target: ...


@dataclass(frozen=True)
class Referred:
    """The component to render (its selectors replaced by the objects) and the keys read from the
    target it is delivered to (which may be adopted)."""

    component: Component
    local_keys: frozenset[ResourceKey]


def resolve(app: Application, comp: Component, target_name: str, targets: Targets) -> Referred:
    """Read the objects `comp` (a ref-objects component being delivered to `target_name`) selects."""
    where = app.where((*comp.path, "properties"))
    if comp.properties.get("urls"):
        raise ValidationError(
            f"component {comp.name!r}: ref-objects `urls` is not supported",
            app.where((*comp.path, "properties", "urls")),
            hint="put those objects in a k8s-objects component",
        )
    found: list[dict[str, Any]] = []
    local: set[ResourceKey] = set()
    for i, selector in enumerate(comp.properties.get("objects") or ()):
        path = (*comp.path, "properties", "objects", i)
        cluster = str(selector.get("cluster") or target_name)
        objects = _select(app, comp, thaw(selector), path, targets.get(cluster))
        if cluster == target_name:
            local |= {ResourceKey.of(o) for o in objects}
        _append(found, objects)
    if not found:
        raise ValidationError(f"component {comp.name!r}: ref-objects selects no object", where)
    return Referred(replace(comp, properties=freeze({"objects": found})), frozenset(local))


def object_type(selector: Mapping[str, Any], app: Application, path: tuple[Any, ...]) -> tuple[str, str]:
    """(apiVersion, kind) a selector names, by `resource`/`group` or by `apiVersion`/`kind`."""
    resource = str(selector.get("resource") or "").lower()
    if resource:
        group = str(selector.get("group") or "")
        found = RESOURCES.get((group, resource)) or RESOURCES.get((group, resource + "s"))
        if found is None:
            raise ValidationError(
                f"resource {resource!r} of group {group!r} is not one Vessel knows",
                app.where((*path, "resource")),
                hint="name the objects with apiVersion and kind instead",
            )
        return found
    if selector.get("apiVersion") and selector.get("kind"):
        return str(selector["apiVersion"]), str(selector["kind"])
    raise ValidationError(
        "neither resource nor apiVersion and kind is set for referring objects", app.where(path)
    )


def _select(
    app: Application, comp: Component, selector: dict[str, Any], path: tuple[Any, ...], target: Target
) -> list[dict[str, Any]]:
    labels = selector.get("labelSelector")
    if labels and selector.get("name"):
        raise ValidationError(
            "name and labelSelector cannot be both set", app.where(path), hint="select by one of them"
        )
    api_version, kind = object_type(selector, app, path)
    namespace = "" if kind in CLUSTER_SCOPED else str(selector.get("namespace") or app.namespace)
    if labels:
        objects = target.list_labelled(api_version, kind, namespace, {str(k): str(v) for k, v in labels.items()})
    else:
        key = ResourceKey(api_version, kind, namespace, str(selector.get("name") or comp.name))
        live = target.get(key)
        if live is None:
            raise TransientError(
                f"component {comp.name!r}: the object it refers to, {key}, does not exist",
                hint="create it, or correct the ref-objects selector",
            )
        objects = [live]
    return [cleaned(o) for o in objects]


def cleaned(live: Mapping[str, Any]) -> dict[str, Any]:
    """The object without what its API server wrote (KubeVela's ClearRefObjectForDispatch)."""
    obj = copy.deepcopy(dict(live))
    meta = dict(obj.get("metadata") or {})
    for field in (*SERVER_FIELDS, "creationTimestamp"):
        meta.pop(field, None)
    obj["metadata"] = meta
    obj.pop("status", None)
    spec = obj.get("spec")
    if obj.get("kind") == "Service" and obj.get("apiVersion") == "v1" and isinstance(spec, dict):
        if "clusterIP" in spec and spec["clusterIP"] != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    return obj


def _append(found: list[dict[str, Any]], objects: list[dict[str, Any]]) -> None:
    """Add objects, one that is already there taking its place (KubeVela's AppendUnstructuredObjects)."""
    for obj in objects:
        key = ResourceKey.of(obj)
        same = [i for i, old in enumerate(found) if ResourceKey.of(old) == key]
        if same:
            found[same[0]] = obj
        else:
            found.append(obj)
