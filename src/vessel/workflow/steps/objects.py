"""`apply-object`, `read-object` and `depends-on-app`: steps that touch single objects or other apps.

Objects applied by `apply-object` go the way a component's objects go (`Delivery.apply_object`): recorded
in the inventory under the step's name before they are applied (so deleting the application removes
them), never written over another application's object, and released when the target refuses them.
`read-object` of a `core.oam.dev/v1beta1` Application reads Vessel's own store (its spec and phase), as
KubeVela reads its Application resources.
"""

from __future__ import annotations

from typing import Any

from vessel.errors import TransientError, ValidationError
from vessel.model.paths import format_path
from vessel.model.resource_key import ResourceKey
from vessel.render import object_rules
from vessel.store.records import Phase
from vessel.workflow.delivery import Delivery
from vessel.workflow.step_api import Outcome, StepContext

OAM_APPLICATION = ("core.oam.dev/v1beta1", "Application")


def apply_object(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    value: dict[str, Any] = dict(ctx.properties["value"])
    meta = value.get("metadata")
    if (
        not isinstance(meta, dict)
        or not value.get("apiVersion")
        or not value.get("kind")
        or not meta.get("name")
    ):
        raise ValidationError("apply-object: value needs apiVersion, kind and metadata.name")
    value["metadata"] = {**meta, "namespace": meta.get("namespace") or delivery.app.namespace}
    refused = object_rules.problems(value)  # what Kubernetes would refuse, whatever the target
    if refused:
        raise ValidationError("; ".join(f"apply-object: value.{format_path(p)}: {why}" for p, why in refused))
    target_name = delivery.target_or_default(ctx.properties.get("cluster"))
    live = delivery.apply_object(target_name, f"step:{ctx.step.name}", value)
    return Outcome.succeeded({"value": live})


def read_object(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    p = ctx.properties
    if (p["apiVersion"], p["kind"]) == OAM_APPLICATION:
        return Outcome.succeeded({"value": _application(delivery, p["namespace"], p["name"])})
    key = ResourceKey(p["apiVersion"], p["kind"], p.get("namespace", ""), p["name"])
    live = delivery.targets.get(delivery.target_or_default(p.get("cluster"))).get(key)
    if live is None:
        raise TransientError(f"read-object: {key} does not exist (yet)")
    return Outcome.succeeded({"value": live})


def _application(delivery: Delivery, namespace: str, name: str) -> dict[str, Any]:
    record = delivery.store.app(namespace, name)
    if record is None:
        raise TransientError(f"read-object: application {namespace}/{name} does not exist (yet)")
    revision = delivery.store.revision(record.id, record.revision)
    return {**revision.spec, "status": {"phase": record.phase, "message": record.message}}


def depends_on_app(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    namespace, name = ctx.properties.get("namespace") or delivery.app.namespace, ctx.properties["name"]
    record = delivery.store.app(namespace, name)
    if record is None:
        return Outcome.wait(f"waiting for application {namespace}/{name} to exist", 5.0)
    if record.phase != Phase.RUNNING:
        return Outcome.wait(
            f"waiting for application {namespace}/{name} to be running (it is {record.phase})", 5.0
        )
    return Outcome.succeeded()


STEPS = {"apply-object": apply_object, "read-object": read_object, "depends-on-app": depends_on_app}
