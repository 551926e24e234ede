"""`apply-deployment`: a Deployment of one image (and command), named after the step, applied and waited for.

As KubeVela's CUE: the Deployment is named after the step, in the application's namespace, its pods
labelled `workflow.oam.dev/step-name: APP-STEP` (its selector), one container named after the step;
`cluster` names the target (the default target if empty). It is recorded in the application's inventory
like an `apply-object`. The step succeeds once `readyReplicas` equals `replicas` (at once on a target
that keeps no status); a pod that cannot run (crash loop, image pull) fails it after the few retries a
failing workload gets, naming the cause, instead of waiting forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.errors import ComponentFailingError, ValidationError, VesselError
from vessel.model.paths import format_path
from vessel.model.resource_key import ResourceKey
from vessel.render import object_rules
from vessel.targets.protocol import Target
from vessel.workflow import backoff
from vessel.workflow.delivery import Delivery
from vessel.workflow.diagnosis import Diagnosis, diagnose
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

POLL_SECONDS = 2.0
STEP_NAME_LABEL = "workflow.oam.dev/step-name"


def apply_deployment(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    body = deployment(ctx.app.name, ctx.app.namespace, ctx.step.name, ctx.properties)
    refused = object_rules.problems(body)
    if refused:
        raise ValidationError("; ".join(f"apply-deployment: {format_path(p)}: {why}" for p, why in refused))
    target_name = delivery.target_or_default(ctx.properties.get("cluster"))
    live = delivery.apply_object(target_name, f"step:{ctx.step.name}", body)
    target = delivery.targets.get(target_name)
    ready, wanted = (live.get("status") or {}).get("readyReplicas") or 0, ctx.properties["replicas"]
    if not target.live_state or ready == wanted:
        return Outcome.succeeded({"value": live}, message=f"deployment {ctx.step.name}: {wanted} ready")
    found = _diagnosis(target, ResourceKey.of(body))
    if found.failing:
        raise ComponentFailingError(
            f"apply-deployment: deployment {ctx.step.name} is failing: {found.failing}",
            give_up_after=backoff.FAILING_WORKLOAD_ERRORS,
        )
    detail = f": {found.cause}" if found.cause else ""
    return Outcome.wait(
        f"waiting for deployment {ctx.step.name}: {ready}/{wanted} ready{detail}", POLL_SECONDS
    )


def deployment(app: str, namespace: str, step: str, p: Mapping[str, Any]) -> dict[str, Any]:
    """The Deployment KubeVela's apply-deployment renders for these (validated) parameters."""
    labels = {STEP_NAME_LABEL: f"{app}-{step}"}
    container: dict[str, Any] = {"name": step, "image": p["image"]}
    if "cmd" in p:
        container["command"] = list(p["cmd"])
    spec = {
        "selector": {"matchLabels": labels},
        "replicas": p["replicas"],
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
    }
    meta = {"name": step, "namespace": namespace}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def _diagnosis(target: Target, key: ResourceKey) -> Diagnosis:
    try:
        return diagnose(target.instances(key))
    except VesselError:  # the pods cannot be listed now: the Deployment is waited for
        return Diagnosis()


STEPS: dict[str, StepFunction] = {"apply-deployment": apply_deployment}
