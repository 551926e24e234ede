"""`export2config`, `export2secret`, `export-data`, `export-service`: objects a workflow writes out.

They build the object KubeVela's CUE builds — same names, namespaces, `data` / `stringData`, the
`kubernetes.io/dockerconfigjson` Secret for `kind: docker-registry` — and apply it the way `apply-object`
does (`Delivery.apply_object`): recorded in the application's inventory under the step's name first (so
deleting the application removes it), checked against what Kubernetes would refuse whatever the target,
never written over another application's object. `cluster` names a target (the revision's default target
if empty); `export-data` writes to every target its `topology` policy places the application on, and so
does `export-service` — a ClusterIP Service and its Endpoints pointing at an address outside the
cluster (`ip`, `targetPort`).

A Secret's values become known to redaction as it is recorded (the store remembers a Secret manifest's
values), so no message or output shows them afterwards.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from vessel.errors import ValidationError
from vessel.model.paths import format_path
from vessel.render import object_rules
from vessel.workflow.delivery import Delivery
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

DOCKER_CONFIG_TYPE = "kubernetes.io/dockerconfigjson"


def export2config(ctx: StepContext) -> Outcome:
    body = config_map(ctx.properties, ctx.app.namespace)
    return _apply(ctx, "export2config", body, [ctx.properties.get("cluster") or ""])


def export2secret(ctx: StepContext) -> Outcome:
    body = secret(ctx.properties, ctx.app.namespace)
    return _apply(ctx, "export2secret", body, [ctx.properties.get("cluster") or ""])


def export_data(ctx: StepContext) -> Outcome:
    body = exported(ctx.properties, ctx.app.name, ctx.app.namespace)
    return _apply(ctx, "export-data", body, _placed(ctx))


def export_service(ctx: StepContext) -> Outcome:
    clusters = _placed(ctx)
    service, endpoints = exported_service(ctx.properties, ctx.app.name, ctx.app.namespace)
    _apply(ctx, "export-service", service, clusters)
    return _apply(ctx, "export-service", endpoints, clusters)


def _placed(ctx: StepContext) -> list[str]:
    """The targets the step's `topology` policy places the application on (the default target without)."""
    delivery: Delivery = ctx.services
    topology = [_topology(delivery, ctx.properties["topology"])] if ctx.properties.get("topology") else []
    return list(dict.fromkeys(placement.target for placement, _ in delivery.placements(topology)))


def _topology(delivery: Delivery, name: str) -> str:
    """`name`, if it is a topology policy of the application."""
    topologies = [p.name for p in delivery.app.policies if p.type == "topology"]
    if name not in topologies:
        raise ValidationError(
            f"topology {name!r} names no topology policy of the application",
            hint=f"topology policies: {', '.join(topologies) or 'none'}",
        )
    return name


def config_map(p: Mapping[str, Any], app_namespace: str) -> dict[str, Any]:
    """The ConfigMap export2config writes for these (validated) parameters."""
    body = _object("ConfigMap", p["configName"], p.get("namespace") or app_namespace)
    body["data"] = dict(p["data"])
    return body


def secret(p: Mapping[str, Any], app_namespace: str) -> dict[str, Any]:
    """The Secret export2secret writes for these (validated) parameters."""
    body = _object("Secret", p["secretName"], p.get("namespace") or app_namespace)
    data = dict(p["data"])
    if p["kind"] == "docker-registry" and "dockerRegistry" in p:
        data = {".dockerconfigjson": _docker_config(p["dockerRegistry"])}
    secret_type = p.get("type") or (DOCKER_CONFIG_TYPE if p["kind"] == "docker-registry" else None)
    if secret_type:
        body["type"] = secret_type
    body["stringData"] = data
    return body


def exported(p: Mapping[str, Any], app_name: str, app_namespace: str) -> dict[str, Any]:
    """The ConfigMap or Secret export-data writes for these (validated) parameters."""
    body = _object(p["kind"], p.get("name") or app_name, p.get("namespace") or app_namespace)
    body["data" if p["kind"] == "ConfigMap" else "stringData"] = dict(p["data"])
    return body


def exported_service(
    p: Mapping[str, Any], app_name: str, app_namespace: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Service and Endpoints export-service writes for these (validated) parameters."""
    name, namespace = p.get("name") or app_name, p.get("namespace") or app_namespace
    service = _object("Service", name, namespace)
    port = {"protocol": "TCP", "port": p["port"], "targetPort": p["targetPort"]}
    service["spec"] = {"type": "ClusterIP", "ports": [port]}
    endpoints = _object("Endpoints", name, namespace)
    endpoints["subsets"] = [{"addresses": [{"ip": p["ip"]}], "ports": [{"port": p["targetPort"]}]}]
    return service, endpoints


def _object(kind: str, name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}


def _docker_config(registry: Mapping[str, Any]) -> str:
    user, password = registry["username"], registry["password"]
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    entry = {"username": user, "password": password, "auth": auth}
    return json.dumps({"auths": {registry["server"]: entry}}, separators=(",", ":"))


def _apply(ctx: StepContext, step_type: str, body: dict[str, Any], clusters: list[str]) -> Outcome:
    refused = object_rules.problems(body)  # what Kubernetes would refuse, whatever the target
    if refused:
        raise ValidationError("; ".join(f"{step_type}: {format_path(p)}: {why}" for p, why in refused))
    delivery: Delivery = ctx.services
    written = []
    for cluster in clusters:
        target = delivery.target_or_default(cluster)
        delivery.apply_object(target, f"step:{ctx.step.name}", body)
        written.append(target)
    meta = body["metadata"]
    where = f"{body['kind']} {meta['namespace']}/{meta['name']}"
    return Outcome.succeeded(message=f"{where} written to {', '.join(written)}")


STEPS: dict[str, StepFunction] = {
    "export2config": export2config,
    "export2secret": export2secret,
    "export-data": export_data,
    "export-service": export_service,
}
