"""An application's status as one document: what `vessel status -o json`, the API and the dashboard show.

{"name", "namespace", "phase", "message", "revision", "latestRevision",
 "workflow": {"phase", "message", "revision", "driver",
              "steps": [{"name", "type", "phase", "reason", "message", "attempts", "subSteps"}]},
 "services": [{"component", "target", "healthy", "message", "endpoint", "endpoints",
               "traits": [{"type", "healthy", "message"}]}],
 "resources": [{"target", "apiVersion", "kind", "namespace", "name", "component", "state",
                "instances"?: [{"name", "phase", "ready", "restarts", "message", "failure",
                                "containers": [{"name", "ready", "restarts", "state"}]}]}]}

`phase` and `message` are the application's as they truly are now (`driving.shown`): a workflow nothing
drives any more says it is interrupted and what to do, whatever was last written; `workflow.driver` is
the process driving the run (None: nothing does).

A service is a component on a target. It is `healthy` when its workload and every one of its traits are
(`controller.health`: judged as the deploy step and the steady-state loop judge it); `message` is its
workload's custom status; `traits` lists each of its traits, in the component's order, with the trait's
own health and custom status message (KubeVela's `status.services[].traits`).

An instance's `failure` says why it is failing (crash loop, cannot start…), "" when it is not.

`instances` (pods, processes) are asked of the targets only when wanted (`vessel status --tree`), for
the workload of each component: one more request per workload.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from vessel.controller import driving
from vessel.controller.endpoints import endpoints
from vessel.controller.health import Delivered, component_health, delivered
from vessel.errors import VesselError
from vessel.store.records import AppRecord, InventoryEntry, RunRecord, StepRecord
from vessel.targets.protocol import Instance
from vessel.workflow.plan import Plan

if TYPE_CHECKING:
    from vessel.controller.reader import Sees

EXPOSING = ("Service", "Ingress")  # kinds whose live objects say where a component is reached


def status_of(controller: Sees, app: AppRecord, *, instances: bool = False) -> dict[str, Any]:
    run = controller.store.latest_run(app.id)
    inventory = controller.store.inventory(app.id)
    records = controller.store.steps(run.id) if run is not None else {}
    view = driving.shown(app, run, records, controller.clock.now())
    return {
        "name": app.name,
        "namespace": app.namespace,
        "phase": view.phase,
        "message": view.message,
        "revision": app.revision,
        "latestRevision": app.latest_revision,
        "warnings": _warnings(controller, app),
        "workflow": _workflow(run, records, view.driver),
        "services": [
            _service(controller, app, what)
            for what in delivered(inventory)
            if not what.workload.component.startswith("step:")
        ],
        "resources": [_resource(controller, e, instances) for e in inventory],
    }


def _warnings(controller: Sees, app: AppRecord) -> list[str]:
    """What the current revision's definitions do not declare, when the application tolerates it
    (`app.vessel.dev/unknown-properties: warn`): dropped at every render, so said at every status. One
    that does not tolerate it has none (they were errors)."""
    if app.revision < 1 or not controller.tolerates_unknown(app.id, app.revision):
        return []
    from vessel.definitions.unknown_properties import unknown_property_warnings

    model, registry = controller.revision_context(app.id, app.revision)
    return unknown_property_warnings(model, registry)


def current_workflow(controller: Sees, app: AppRecord) -> dict[str, Any]:
    return workflow_of(controller, controller.store.latest_run(app.id))


def workflow_of(controller: Sees, run: RunRecord | None) -> dict[str, Any]:
    """The `workflow` part of the status document: the run's steps in the plan's order (what `vessel up`
    prints as it drives). Reads the store only: no target is asked."""
    records = controller.store.steps(run.id) if run is not None else {}
    return _workflow(run, records, driving.driver(run, controller.clock.now()) if run is not None else None)


def _workflow(run: RunRecord | None, records: dict[str, StepRecord], driver: str | None) -> dict[str, Any]:
    if run is None:
        return {"phase": None, "message": "", "driver": None, "steps": []}
    plan = Plan.from_json(run.steps)
    return {
        "phase": run.phase,
        "message": run.message,
        "revision": run.revision,
        "driver": driver,
        "steps": [_step(records[s.name], [records[sub.name] for sub in s.sub_steps]) for s in plan.steps],
    }


def _step(record: StepRecord, subs: list[StepRecord]) -> dict[str, Any]:
    return {
        "name": record.name,
        "type": record.type,
        "phase": record.phase,
        "reason": record.reason,
        "message": record.message,
        "attempts": record.attempts,
        "subSteps": [_step(s, []) for s in subs],
    }


def _service(controller: Sees, app: AppRecord, what: Delivered) -> dict[str, Any]:
    entry = what.workload
    out: dict[str, Any] = {
        "component": entry.component,
        "target": entry.target,
        "healthy": False,
        "message": "",
        "endpoint": "",
        "endpoints": [],
        "traits": [],
    }
    target = controller.targets.get(entry.target)
    try:
        live = target.get(entry.key)
        if live is None:
            return {**out, "message": f"{entry.key} is missing"}
        lives = {(e.target, e.key): target.get(e.key) for e in what.outputs}
    except VesselError as exc:
        return {**out, "message": f"target unavailable: {exc.render()}"}
    exposing = [obj for (_, key), obj in lives.items() if obj is not None and key.kind in EXPOSING]
    found = endpoints([live, *exposing])
    present = {k: obj for k, obj in lives.items() if obj is not None}
    health = component_health(controller, app, what, {**present, (entry.target, entry.key): live})
    return {
        **out,
        "healthy": health.healthy,
        "message": health.workload.message,
        "endpoint": found[0] if found else "",
        "endpoints": found,
        "traits": [{"type": t.type, "healthy": t.healthy, "message": t.message} for t in health.traits],
    }


def _resource(controller: Sees, entry: InventoryEntry, instances: bool) -> dict[str, Any]:
    key = entry.key
    out: dict[str, Any] = {
        "target": entry.target,
        "apiVersion": key.api_version,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
        "component": entry.component,
        "state": entry.state,
    }
    if instances and not entry.role and not entry.component.startswith("step:"):
        try:
            found = controller.targets.get(entry.target).instances(key)
        except VesselError as exc:
            return {**out, "instances": [], "message": f"target unavailable: {exc.render()}"}
        out["instances"] = [_instance(i) for i in found]
    return out


def _instance(instance: Instance) -> dict[str, Any]:
    return {
        "name": instance.name,
        "phase": instance.phase,
        "ready": instance.ready,
        "restarts": instance.restarts,
        "message": instance.message,
        "failure": instance.failure,
        "containers": [asdict(c) for c in instance.containers],
    }
