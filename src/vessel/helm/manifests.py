"""A rendered chart's files as a component's result: its workload and its other objects.

Each file is read by Vessel's strict YAML reader (sizes, nesting, duplicate keys), in this process, so a
chart is held to the same rules as an Application file. Then:

* objects are ordered as Helm installs them (namespaces, CRDs, accounts, config, services, workloads…);
* the component's workload (`output`, what traits patch) is its first Deployment, StatefulSet, DaemonSet,
  Job or CronJob, else its first object; every other object is an `outputs` entry named
  `<kind>-<name>` (what `trait.oam.dev/resource` carries);
* objects with no namespace get `targetNamespace` when one is given (else the application's, as for every
  component), except kinds that live outside namespaces;
* Helm test hooks (`helm.sh/hook: test`) are left out: they are run by `helm test`, never installed (the
  native shape's `options.skipTests: false` keeps them). Other hooks are delivered as ordinary objects, as
  `helm template` prints them (Vessel keeps no release, so there is no install or upgrade for them to hook
  into), unless the native shape's `options.skipHooks` leaves every hook out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from vessel.errors import ChartError, OverCapError, VesselError
from vessel.helm.request import RenderedChart
from vessel.helm.sandbox import HERE
from vessel.model.frozen import thaw
from vessel.model.yaml_source import read_text
from vessel.render.contract import CLUSTER_SCOPED

HOOK = "helm.sh/hook"
TEST_HOOKS = frozenset({"test", "test-success", "test-failure"})
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
INSTALL_ORDER = (
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
    "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
    "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)  # fmt: skip
_RANK = {kind: rank for rank, kind in enumerate(INSTALL_ORDER)}
_LABEL_UNSAFE = re.compile(r"[^a-z0-9.-]+")


def chart_objects(
    chart: RenderedChart,
    target_namespace: str | None,
    most: int,
    *,
    skip_tests: bool = True,
    skip_hooks: bool = False,
) -> list[dict[str, Any]]:
    """Every object the chart rendered, in Helm's install order; without its test hooks (`skip_tests`)
    or any hook (`skip_hooks`)."""
    found: list[tuple[int, int, dict[str, Any]]] = []
    for path, text in chart.files:
        for doc in _documents(text, f"chart {chart.name} {chart.version}: {path}"):
            body = _object(doc.data, path, chart)
            if body is not None and not _left_out(_hooks(body), skip_tests, skip_hooks):
                found.append((_RANK.get(str(body.get("kind")), len(_RANK)), len(found), body))
            if len(found) > most:
                raise OverCapError(
                    f"chart {chart.name} {chart.version} renders more than {most} objects", HERE
                )
    objects = [body for _, _, body in sorted(found, key=lambda item: item[:2])]
    return [_in_namespace(body, target_namespace) for body in objects]


def component_result(objects: list[dict[str, Any]], chart: RenderedChart) -> dict[str, Any]:
    """`output` (the workload) and `outputs` (every other object, by a unique name)."""
    if not objects:
        raise ChartError(f"chart {chart.name} {chart.version} rendered no objects with these values", HERE)
    workload = next((o for o in objects if o.get("kind") in WORKLOAD_KINDS), objects[0])
    outputs: dict[str, Any] = {}
    for body in objects:
        if body is not workload:
            outputs[_unique(_output_name(body), outputs)] = body
    return {"output": workload, "outputs": outputs}


def _documents(text: str, origin: str) -> list[Any]:
    try:
        return read_text(text, origin)
    except VesselError as exc:  # a chart's YAML is the chart's mistake: say so as the component's error
        raise ChartError(exc.message, exc.location) from None


def _object(data: Any, path: str, chart: RenderedChart) -> dict[str, Any] | None:
    if data is None:
        return None
    body = thaw(data)
    if not isinstance(body, dict) or not body.get("apiVersion") or not body.get("kind"):
        raise ChartError(
            f"chart {chart.name} {chart.version}: {path} renders something that is not an object", HERE
        )
    return body


def _hooks(body: Mapping[str, Any]) -> set[str]:
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    return {h.strip() for h in str(annotations.get(HOOK, "")).split(",")} - {""}


def _left_out(hooks: set[str], skip_tests: bool, skip_hooks: bool) -> bool:
    return (bool(hooks) and skip_hooks) or (bool(hooks & TEST_HOOKS) and skip_tests)


def _in_namespace(body: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    meta = body.get("metadata")
    if (
        namespace
        and isinstance(meta, dict)
        and not meta.get("namespace")
        and body["kind"] not in CLUSTER_SCOPED
    ):
        return {**body, "metadata": {**meta, "namespace": namespace}}
    return body


def _output_name(body: Mapping[str, Any]) -> str:
    meta = body.get("metadata") or {}
    raw = f"{body.get('kind', '')}-{meta.get('name', '')}".lower()
    name = _LABEL_UNSAFE.sub("-", raw).strip("-.")
    if len(name) <= 63:
        return name
    return name[:54].rstrip("-.") + "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]


def _unique(name: str, taken: Mapping[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = name[: 63 - len(suffix)] + suffix
        n += 1
    return candidate
