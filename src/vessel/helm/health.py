"""When a chart's objects are healthy: what `helm install --wait` waits for, judged on every object.

A chart renders whatever its author chose, so no single `healthPolicy` expression over `context.output`
fits: the component is healthy when *each* of its live objects is — Deployments, StatefulSets and
DaemonSets rolled out and ready, Jobs complete (a failed Job is reported as failed), PersistentVolumeClaims
bound; any other object once it exists. An object annotated `app.oam.dev/disable-health-check` is not
judged, as for the built-in workloads. This is trusted Python over plain data (the live objects the target
reported), so it needs none of the bounded language's caps.

A component in KubeVela's native shape may say instead what healthy means (`healthStatus`): then it is
healthy only when every criterion holds — the first of its objects of that kind (and name, when given)
has a `status.conditions` entry of that type with that status (default `True`) — as KubeVela's
`healthPolicy` for it decides. Its message is KubeVela's: `Deployed`, or `Deploying` followed by what is
not there yet.
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
        context, parameter = variables.get("context") or {}, variables.get("parameter") or {}
        found = [context.get("output"), *(context.get("outputs") or {}).values()]
        objects = [o for o in found if isinstance(o, Mapping)]
        criteria = parameter.get("healthStatus") or []
        if criteria:
            problems = [p for p in (_unmet(c, objects) for c in criteria) if p]
        else:
            problems = [p for p in map(_problem, objects) if p]
        if not isinstance(parameter.get("chart"), Mapping):  # the older shape: its own messages
            return Status(not problems, _listed(problems) or f"{len(found)} objects ready")
        return Status(not problems, f"Deploying: {_listed(problems)}" if problems else "Deployed")


def _listed(problems: list[str]) -> str:
    return "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")


def _unmet(criterion: Mapping[str, Any], objects: list[Live]) -> str:
    """Why `criterion` does not hold ("" when it does)."""
    kind, name = criterion["resource"]["kind"], criterion["resource"].get("name")
    wanted, status = criterion["condition"]["type"], criterion["condition"].get("status", "True")
    which = f"{kind} {name}" if name else kind
    live = next((o for o in objects if o.get("kind") == kind and _named(o, name)), None)
    if live is None:
        return f"no {which} among the chart's objects"
    conditions = (live.get("status") or {}).get("conditions") or []
    if any(
        isinstance(c, Mapping) and c.get("type") == wanted and c.get("status") == status for c in conditions
    ):
        return ""
    return f"{which}: condition {wanted} is not {status}"


def _named(live: Live, name: str | None) -> bool:
    return name is None or (live.get("metadata") or {}).get("name") == name


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
