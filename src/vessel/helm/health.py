"""When a chart's objects are healthy: what `helm install --wait` waits for, judged on every object.

A chart renders whatever its author chose, so no single `healthPolicy` expression over `context.output`
fits: the component is healthy when *each* of its live objects is — Deployments, StatefulSets and
DaemonSets rolled out and ready, Jobs complete (a failed Job is reported as failed), PersistentVolumeClaims
bound; any other object once it exists. An object annotated `app.oam.dev/disable-health-check` is not
judged, as for the built-in workloads. This is trusted Python over plain data (the live objects the target
reported), so it needs none of the bounded language's caps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vessel.definitions.limits import DEFAULT_LIMITS, RenderLimits
from vessel.definitions.template import Status, StatusRules
from vessel.errors import Location

Live = Mapping[str, Any]
DISABLE = "app.oam.dev/disable-health-check"


class ChartHealth(StatusRules):
    """The helmchart definition's status rules: every live object of the component judged by its kind."""

    def __init__(self, definition: str):
        super().__init__(None, None, Location(definition), definition)

    def evaluate(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> Status:
        context = variables.get("context") or {}
        objects = [context.get("output"), *(context.get("outputs") or {}).values()]
        problems = [p for p in (_problem(o) for o in objects if isinstance(o, Mapping)) if p]
        if problems:
            return Status(
                False,
                "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""),
            )
        return Status(True, f"{len(objects)} objects ready")


def _problem(live: Live) -> str:
    meta = live.get("metadata") or {}
    if DISABLE in (meta.get("annotations") or {}):
        return ""
    kind = str(live.get("kind"))
    spec, status = live.get("spec") or {}, live.get("status") or {}
    judge = _JUDGES.get(kind)
    problem = judge(spec, status) if judge else ""
    if (
        not problem
        and kind in _ROLLED_OUT
        and status.get("observedGeneration", 0) < meta.get("generation", 0)
    ):
        problem = "the new spec is not rolled out yet"
    return f"{kind} {meta.get('name')}: {problem}" if problem else ""


def _deployment(spec: Live, status: Live) -> str:
    wanted = spec.get("replicas", 1)
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        if status.get(field, 0) < wanted:
            return f"Ready:{status.get('readyReplicas', 0)}/{wanted}"
    return ""


def _stateful_set(spec: Live, status: Live) -> str:
    wanted = spec.get("replicas", 1)
    if status.get("readyReplicas", 0) < wanted or status.get("currentRevision") != status.get(
        "updateRevision"
    ):
        return f"Ready:{status.get('readyReplicas', 0)}/{wanted}"
    return ""


def _daemon_set(spec: Live, status: Live) -> str:
    wanted = status.get("desiredNumberScheduled", 0)
    if status.get("numberReady", 0) < wanted or status.get("updatedNumberScheduled", 0) < wanted:
        return f"Ready:{status.get('numberReady', 0)}/{wanted}"
    return ""


def _job(spec: Live, status: Live) -> str:
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, Mapping)}
    if (conditions.get("Failed") or {}).get("status") == "True":
        return f"failed: {conditions['Failed'].get('message') or conditions['Failed'].get('reason', '')}"
    complete = (conditions.get("Complete") or {}).get("status") == "True"
    if complete or status.get("succeeded", 0) >= spec.get("completions", 1):
        return ""
    return "not complete"


def _claim(spec: Live, status: Live) -> str:
    phase = status.get("phase")
    return "" if phase == "Bound" else f"not bound ({phase or 'pending'})"


_ROLLED_OUT = frozenset({"Deployment", "StatefulSet", "DaemonSet"})  # they report observedGeneration
_JUDGES: dict[str, Callable[[Live, Live], str]] = {
    "Deployment": _deployment,
    "StatefulSet": _stateful_set,
    "DaemonSet": _daemon_set,
    "Job": _job,
    "PersistentVolumeClaim": _claim,
}
