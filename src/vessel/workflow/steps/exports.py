"""`export2config`, `export2secret`, `export-data`: a workflow's values written out as a ConfigMap or Secret.

They build the object KubeVela's CUE builds — same names, namespaces, `data` / `stringData`, the
`kubernetes.io/dockerconfigjson` Secret for `kind: docker-registry` — and apply it the way `apply-object`
does (`Delivery.apply_object`): recorded in the application's inventory under the step's name first (so
deleting the application removes it), checked against what Kubernetes would refuse whatever the target,
never written over another application's object. `cluster` names a target (the revision's default target
if empty); `export-data` writes to every target its `topology` policy places the application on.

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
    delivery: Delivery = ctx.services
    p = ctx.properties
    body = exported(p, ctx.app.name, ctx.app.namespace)
    topology = [_topology(delivery, p["topology"])] if p.get("topology") else []
    clusters = list(dict.fromkeys(placement.target for placement, _ in delivery.placements(topology)))
    return _apply(ctx, "export-data", body, clusters)


def _topology(delivery: Delivery, name: str) -> str:
    """`name`, if it is a topology policy of the application."""
    topologies = [p.name for p in delivery.app.policies if p.type == "topology"]
    if name not in topologies:
        raise ValidationError(
            f"export-data: topology {name!r} names no topology policy of the application",
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
}
