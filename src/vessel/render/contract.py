"""The OAM contract every rendered resource carries: names, namespaces, labels, annotations.

These match what KubeVela sets (pkg/appfile SetOAMContract), so tools and selectors written for
KubeVela-managed resources keep working: `app.oam.dev/name`, `app.oam.dev/namespace`,
`app.oam.dev/appRevision`, `app.oam.dev/component`, `app.oam.dev/resourceType`,
`workload.oam.dev/type` on workloads, `trait.oam.dev/type` and `trait.oam.dev/resource` on trait and
auxiliary outputs, `app.oam.dev/replicaKey` on a replica's (a `replication` policy's copy). Application
labels and annotations are copied onto every resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from vessel.model.versioned_type import plain_type
from vessel.render.resource import AUXILIARY, TRAIT, WORKLOAD, Resource

APP_NAME = "app.oam.dev/name"
APP_NAMESPACE = "app.oam.dev/namespace"
APP_REVISION = "app.oam.dev/appRevision"
APP_COMPONENT = "app.oam.dev/component"
RESOURCE_TYPE = "app.oam.dev/resourceType"
WORKLOAD_TYPE = "workload.oam.dev/type"
TRAIT_TYPE = "trait.oam.dev/type"
TRAIT_RESOURCE = "trait.oam.dev/resource"
REPLICA_KEY = "app.oam.dev/replicaKey"

# Annotations that describe the Application object itself and must not spread to what it renders.
FILTERED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})

# Kinds that live outside namespaces. Unknown kinds (CRDs) are treated as namespaced here; the
# Kubernetes target corrects this from API discovery.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ComponentStatus",
    }
)


def common_labels(
    app_name: str,
    namespace: str,
    revision: str,
    component: str,
    app_labels: Mapping[str, str],
    replica_key: str = "",
) -> dict[str, str]:
    return {
        **app_labels,
        APP_NAME: app_name,
        APP_NAMESPACE: namespace,
        APP_REVISION: revision,
        APP_COMPONENT: component,
        **({REPLICA_KEY: replica_key} if replica_key else {}),
    }


def short_hash(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:10]


def stamp(
    resource: Resource,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    namespace: str,
    workload_type: str,
) -> Resource:
    """The resource with its OAM name, namespace, labels and annotations set (a new object)."""
    body = resource.body
    meta = dict(body.get("metadata") or {})
    own = dict(labels)
    if resource.resource_type == WORKLOAD:
        own.update({RESOURCE_TYPE: WORKLOAD, WORKLOAD_TYPE: plain_type(workload_type)})
    else:
        own.update({RESOURCE_TYPE: TRAIT, TRAIT_TYPE: plain_type(resource.trait or AUXILIARY)})
        if resource.output:
            own[TRAIT_RESOURCE] = resource.output
    if not meta.get("name"):
        meta["name"] = _default_name(resource)
    if not meta.get("namespace") and body.get("kind") not in CLUSTER_SCOPED:
        meta["namespace"] = namespace
    meta["labels"] = {**(meta.get("labels") or {}), **own}
    extra = {k: v for k, v in annotations.items() if k not in FILTERED_ANNOTATIONS}
    if extra or meta.get("annotations"):
        meta["annotations"] = {**(meta.get("annotations") or {}), **extra}
    return Resource(
        resource.component, _ordered(body, meta), resource.resource_type, resource.trait, resource.output
    )


def _ordered(body: Mapping[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind, metadata (name and namespace first) and then the rest as the template wrote it:
    manifests read the way people write them."""
    meta = {**{k: meta[k] for k in ("name", "namespace") if k in meta}, **meta}
    head = {"apiVersion": body.get("apiVersion"), "kind": body.get("kind"), "metadata": meta}
    return {**head, **{k: v for k, v in body.items() if k not in head}}


def _default_name(resource: Resource) -> str:
    """KubeVela's rule: a workload is named after its component; an unnamed trait output gets
    `<component>-<trait type>-<content hash>`."""
    if resource.resource_type == WORKLOAD:
        return resource.component
    middle = (resource.trait or AUXILIARY).lower()
    return f"{resource.component}-{middle}-{short_hash(resource.body)}"
