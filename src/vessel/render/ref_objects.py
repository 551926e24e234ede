"""KubeVela's `ref-objects` component, the pure part: what its selectors name, and the objects read.

A ref-objects component names existing objects instead of describing them; a deploy step reads them
from a target (`vessel.workflow.ref_objects`) and renders the component with the objects in place of
the selectors. Until then — `vessel up`'s check, `vet`, `dry-run` — it is *unresolved*: its selectors
are checked here (a type Vessel can name; a name or a label selector, not both; no `urls`) and it
renders nothing.

Vessel has no API discovery across groups, so `resource` is read from a table of Kubernetes' own
resources (`RESOURCES`); other kinds are named with `apiVersion` and `kind`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from vessel.errors import ValidationError, VesselError, collecting, raise_collected
from vessel.model.application import Application, Component
from vessel.model.versioned_type import plain_type

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
    ("rbac.authorization.k8s.io", "clusterrolebindings"): (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
    ),
    ("storage.k8s.io", "storageclasses"): ("storage.k8s.io/v1", "StorageClass"),
}
SERVER_FIELDS = (
    "resourceVersion",
    "generation",
    "ownerReferences",
    "deletionTimestamp",
    "managedFields",
    "uid",
)


def unresolved(component: Component) -> bool:
    """A ref-objects component whose objects have not been read yet (selectors carry no metadata)."""
    if plain_type(component.type) != REF_OBJECTS:
        return False
    return any("metadata" not in item for item in component.properties.get("objects") or ())


def check_selectors(app: Application, comp: Component) -> None:
    """Every problem of the component's selectors, with its field."""
    problems: list[VesselError] = []
    if comp.properties.get("urls"):
        problems.append(
            ValidationError(
                f"component {comp.name!r}: ref-objects `urls` is not supported",
                app.where((*comp.path, "properties", "urls")),
                hint="put those objects in a k8s-objects component",
            )
        )
    for path, selector in selectors(comp):
        with collecting(problems):
            check_selector(app, selector, path)
    raise_collected(problems)


def selectors(comp: Component) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    for i, selector in enumerate(comp.properties.get("objects") or ()):
        yield (*comp.path, "properties", "objects", i), selector


def check_selector(app: Application, selector: Mapping[str, Any], path: tuple[Any, ...]) -> None:
    if selector.get("labelSelector") and selector.get("name"):
        raise ValidationError(
            "name and labelSelector cannot be both set", app.where(path), hint="select by one of them"
        )
    object_type(selector, app, path)


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


def cleaned(live: Mapping[str, Any]) -> dict[str, Any]:
    """The object without what its API server wrote (KubeVela's ClearRefObjectForDispatch)."""
    obj = copy.deepcopy(dict(live))
    meta = dict(obj.get("metadata") or {})
    for field in (*SERVER_FIELDS, "creationTimestamp"):
        meta.pop(field, None)
    obj["metadata"] = meta
    obj.pop("status", None)
    spec = obj.get("spec")
    service = obj.get("kind") == "Service" and obj.get("apiVersion") == "v1"
    if service and isinstance(spec, dict) and spec.get("clusterIP", "None") != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    return obj
