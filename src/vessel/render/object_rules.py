"""What Kubernetes would refuse in a rendered object, found before it reaches any target.

A `directory` target writes whatever it is given and a `local` target runs it, so without this a
`replicas: -3`, a port 70000, a name with `/` or a 200-character label value would be delivered there —
and fail only once the same Application met a cluster (or, for a name with `../`, be written outside the
directory). The Kubernetes OpenAPI schema is too large to carry at run time (tests validate every
built-in definition's output against it); this is the light check of the fields that matter most, with
Kubernetes' own rules (`model/kube_names.py`):

- `apiVersion`, `kind`: non-empty strings; `metadata`, its `labels` and `annotations`: mappings;
- `metadata.name`: a DNS-1123 subdomain for the common built-in kinds, a DNS-1035 label for a Service, a
  DNS-1123 label for a Namespace, at most 52 characters for a CronJob (its Jobs append 11), and for
  every other kind (CRDs, local objects) at least a valid URL path segment; `metadata.namespace`: a
  DNS-1123 label;
- label keys and values, annotation keys and their total size;
- `spec.replicas`: an integer, 0 or more;
- in a pod template (workloads, CronJobs, Pods, local objects): container names, `containerPort`,
  `hostPort` and port names; in a Service, its ports, target ports and node ports; a local Service's
  `port`.

`shape_problems` runs before the OAM labels are stamped (stamping needs mappings), `problems` after.
Each problem is a (field path, what is wrong) pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from vessel.model.kube_names import (
    ANNOTATIONS_MAX,
    dns1035_label,
    dns_label,
    dns_subdomain,
    label_value,
    path_segment,
    port_name,
    port_number,
    port_or_name,
    qualified_name,
)
from vessel.model.paths import Path

Problem = tuple[Path, str]
Rule = Callable[[Any], "str | None"]

CRONJOB_NAME_MAX = 52
_SUBDOMAIN_KINDS = {
    "v1": ("ConfigMap", "Secret", "PersistentVolumeClaim", "ServiceAccount", "Pod"),
    "apps/v1": ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"),
    "batch/v1": ("Job",),
    "networking.k8s.io/v1": ("Ingress", "NetworkPolicy"),
    "autoscaling/v1": ("HorizontalPodAutoscaler",),
    "autoscaling/v2": ("HorizontalPodAutoscaler",),
    "autoscaling/v2beta2": ("HorizontalPodAutoscaler",),
    "policy/v1": ("PodDisruptionBudget",),
}
_NAME_RULES: dict[tuple[str, str], Rule] = {
    **{(group, kind): dns_subdomain for group, kinds in _SUBDOMAIN_KINDS.items() for kind in kinds},
    ("v1", "Service"): dns1035_label,
    ("v1", "Namespace"): dns_label,
    ("batch/v1", "CronJob"): lambda name: dns_subdomain(name) or _at_most(name, CRONJOB_NAME_MAX),
}
_POD_SPECS: tuple[Path, ...] = (
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
)
LOCAL_GROUP = "local.vessel.dev/"


def shape_problems(body: Mapping[str, Any]) -> list[Problem]:
    """What stamping the OAM contract onto `body` needs: mappings where names and labels go."""
    missing = [key for key in ("apiVersion", "kind") if not _text(body, key)]
    found: list[Problem] = [((key,), "must be a non-empty string") for key in missing]
    meta = body.get("metadata")
    if meta is not None and not isinstance(meta, Mapping):
        return [*found, (("metadata",), _not_a_mapping(meta))]
    for key in ("labels", "annotations"):
        value = (meta or {}).get(key)
        if value is not None and not isinstance(value, Mapping):
            found.append((("metadata", key), _not_a_mapping(value)))
    return found


def problems(body: Mapping[str, Any]) -> list[Problem]:
    """Every field of the (stamped) object Kubernetes would refuse."""
    found = shape_problems(body)
    if found:
        return found
    return [*_metadata(body), *_replicas(body), *_pod_specs(body), *_service(body)]


def _metadata(body: Mapping[str, Any]) -> Iterator[Problem]:
    meta = body.get("metadata") or {}
    rule = _NAME_RULES.get((body["apiVersion"], body["kind"]), path_segment)
    yield from _checked(("metadata", "name"), meta.get("name"), rule)
    if "namespace" in meta:
        yield from _checked(("metadata", "namespace"), meta["namespace"], dns_label)
    for key, value in (meta.get("labels") or {}).items():
        yield from _checked(("metadata", "labels", key), key, qualified_name)
        yield from _checked(("metadata", "labels", key), value, label_value)
    annotations = meta.get("annotations") or {}
    for key, value in annotations.items():
        yield from _checked(("metadata", "annotations", key), key, qualified_name)
        if not isinstance(value, str):
            yield ("metadata", "annotations", key), f"must be a string, got {type(value).__name__}"
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > ANNOTATIONS_MAX:
        yield ("metadata", "annotations"), f"take {size} bytes, more than Kubernetes' 256 KiB"


def _replicas(body: Mapping[str, Any]) -> Iterator[Problem]:
    spec = body.get("spec")
    if isinstance(spec, Mapping) and "replicas" in spec:
        replicas = spec["replicas"]
        if type(replicas) is not int or replicas < 0:
            yield ("spec", "replicas"), f"must be an integer, 0 or more, got {replicas!r}"


def _pod_specs(body: Mapping[str, Any]) -> Iterator[Problem]:
    places = [*_POD_SPECS, ("spec",)] if body.get("kind") == "Pod" else _POD_SPECS
    for place in places:
        spec = _at(body, place)
        if isinstance(spec, Mapping):
            for key in ("initContainers", "containers"):
                for i, container in _items(spec.get(key)):
                    yield from _container((*place, key, i), container)


def _container(path: Path, container: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _checked((*path, "name"), container.get("name"), dns_label)
    for i, port in _items(container.get("ports")):
        yield from _checked((*path, "ports", i, "containerPort"), port.get("containerPort"), port_number)
        if port.get("hostPort"):
            yield from _checked((*path, "ports", i, "hostPort"), port["hostPort"], port_number)
        if "name" in port:
            yield from _checked((*path, "ports", i, "name"), port["name"], port_name)


def _service(body: Mapping[str, Any]) -> Iterator[Problem]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    if str(body["apiVersion"]).startswith(LOCAL_GROUP) and spec.get("port") is not None:
        yield from _checked(("spec", "port"), spec["port"], port_number)
    if (body["apiVersion"], body["kind"]) != ("v1", "Service"):
        return
    for i, port in _items(spec.get("ports")):
        path = ("spec", "ports", i)
        yield from _checked((*path, "port"), port.get("port"), port_number)
        if "targetPort" in port:
            yield from _checked((*path, "targetPort"), port["targetPort"], port_or_name)
        if port.get("nodePort"):
            yield from _checked((*path, "nodePort"), port["nodePort"], port_number)


def _checked(path: Path, value: Any, rule: Rule) -> Iterator[Problem]:
    problem = rule(value)
    if problem:
        yield path, problem


def _items(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if isinstance(value, list | tuple):
        yield from ((i, item) for i, item in enumerate(value) if isinstance(item, Mapping))


def _at(body: Mapping[str, Any], path: Path) -> Any:
    value: Any = body
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _text(body: Mapping[str, Any], key: str) -> bool:
    return isinstance(body.get(key), str) and bool(body[key])


def _at_most(name: str, most: int) -> str | None:
    return f"{name!r} is longer than {most} characters" if len(name) > most else None


def _not_a_mapping(value: Any) -> str:
    return f"must be a mapping, got {type(value).__name__}"
