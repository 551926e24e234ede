"""The resource kinds the fake API server knows (built-ins, plus whatever CRDs register), the defaults
the API server fills into them, and the canonical form it stores their resource quantities in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from vessel.model.quantity import canonical_text, is_quantity_field
from vessel.testing.fake_kube.errors import KubeError

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    status: bool = False  # has a /status subresource (status is ignored on main-resource writes)
    keyed_lists: bool = True  # lists merge by key (built-ins) rather than atomically (CRs)
    short_names: tuple[str, ...] = field(default=())
    logs: bool = False  # has a /log subresource (pods)
    typed: bool = True  # Kubernetes' own schema (quantities are canonicalised); False: a CR, kept as sent

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """How Kubernetes names the resource in messages: `deployments.apps`, `configmaps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def subresources(self) -> tuple[str, ...]:
        return ("status",) * self.status + ("log",) * self.logs

    def discovery(self) -> list[dict[str, Any]]:
        main: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": VERBS,
        }
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        out = [main]
        for sub in self.subresources:
            out.append(
                {
                    "name": f"{self.plural}/{sub}",
                    "singularName": "",
                    "namespaced": self.namespaced,
                    "kind": self.kind,
                    "verbs": ["get", "patch", "update"] if sub == "status" else ["get"],
                }
            )
        return out


def _rt(
    api_version: str, kind: str, plural: str, namespaced: bool = True, status: bool = False, *short: str
) -> ResourceType:
    group, _, version = api_version.rpartition("/")
    return ResourceType(group, version, kind, plural, kind.lower(), namespaced, status, True, short)


BUILTIN: tuple[ResourceType, ...] = (
    _rt("v1", "Namespace", "namespaces", False, True, "ns"),
    _rt("v1", "Node", "nodes", False, True, "no"),
    replace(_rt("v1", "Pod", "pods", True, True, "po"), logs=True),
    _rt("v1", "ConfigMap", "configmaps", True, False, "cm"),
    _rt("v1", "Secret", "secrets"),
    _rt("v1", "Service", "services", True, True, "svc"),
    _rt("v1", "ServiceAccount", "serviceaccounts", True, False, "sa"),
    _rt("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, True, "pvc"),
    _rt("v1", "ResourceQuota", "resourcequotas", True, True, "quota"),
    _rt("v1", "LimitRange", "limitranges", True, False, "limits"),
    _rt("apps/v1", "Deployment", "deployments", True, True, "deploy"),
    _rt("apps/v1", "StatefulSet", "statefulsets", True, True, "sts"),
    _rt("apps/v1", "DaemonSet", "daemonsets", True, True, "ds"),
    _rt("apps/v1", "ReplicaSet", "replicasets", True, True, "rs"),
    _rt("batch/v1", "Job", "jobs", True, True),
    _rt("batch/v1", "CronJob", "cronjobs", True, True, "cj"),
    _rt("networking.k8s.io/v1", "Ingress", "ingresses", True, True, "ing"),
    _rt("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, True, "hpa"),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _rt(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False, True, "crd"
    ),
)


def set_defaults(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Fill in the fields the API server defaults on every write (after the object has its uid): owned
    by no field manager, and part of the spec when generation is counted."""
    if (rt.group, rt.plural) == ("", "services"):
        allocate_cluster_ip(obj, obj["metadata"]["uid"])
    replicated = rt.group == "apps" and rt.plural in ("deployments", "statefulsets", "replicasets")
    job = (rt.group, rt.plural) == ("batch", "jobs")
    spec = obj.setdefault("spec", {}) if replicated or job else None
    if not isinstance(spec, dict):
        return
    if replicated:
        spec.setdefault("replicas", 1)
    if job and not spec.get("manualSelector") and not spec.get("selector"):
        md = obj["metadata"]
        uid, name = md["uid"], md["name"]
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        template = spec.setdefault("template", {})
        template_md = template.setdefault("metadata", {})
        template_md["labels"] = {
            **(template_md.get("labels") or {}),
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }


def allocate_cluster_ip(service: dict[str, Any], seed: str) -> None:
    """A Service gets type ClusterIP and a cluster IP, as an API server allocates one (an ExternalName
    or headless Service gets none); the same `seed` (the uid) gives the same address."""
    spec = service.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    if spec["type"] == "ExternalName" or spec.get("clusterIP"):
        return
    digest = hashlib.sha256(seed.encode()).digest()
    spec["clusterIP"] = f"10.96.{digest[0]}.{digest[1] % 254 + 1}"
    spec["clusterIPs"] = [spec["clusterIP"]]


def canonical_quantities(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Rewrite, in place, every resource quantity of a built-in object in the canonical form a real API
    server stores (`0.5` -> "500m", `1024Mi` -> "1Gi"); a value that is not a quantity is refused as an
    API server refuses it, with 400 and the Quantity grammar."""
    if rt.typed:
        _canonical(rt, obj, ())


def _canonical(rt: ResourceType, value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            value[k] = _canonical(rt, v, (*keys, str(k)))
        return value
    if isinstance(value, list):
        return [_canonical(rt, item, keys) for item in value]
    if value is None or not is_quantity_field(rt.kind, keys):
        return value
    try:
        return canonical_text(value)
    except ValueError as exc:
        raise KubeError(
            400, "BadRequest", f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {exc}'
        ) from None


def from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The served versions of a CustomResourceDefinition as resource types."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    kind = str(names.get("kind", ""))
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served", True):
            continue
        out.append(
            ResourceType(
                group=str(spec.get("group", "")),
                version=str(v.get("name", "")),
                kind=kind,
                plural=str(names.get("plural") or kind.lower() + "s"),
                singular=str(names.get("singular") or kind.lower()),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                status="status" in (v.get("subresources") or {}),
                keyed_lists=False,
                short_names=tuple(names.get("shortNames") or ()),
                typed=False,
            )
        )
    return out
