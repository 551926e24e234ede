"""Why a component is not healthy yet, from the instances its target reports: still starting, or failing.

The difference decides what a deploy step does. A component that is *not ready yet* — starting, waiting
out its minimum uptime, failing a readiness probe — is waited for (the step's `timeout` bounds that). A
component that is *failing* — an instance crash-loops, cannot start, cannot pull its image — is an error
of the step, retried a few times and then reported with its cause (see `backoff`). Each target decides
which of its instances fail (`Instance.failure`); this only words the verdict, naming the instance, what
it last said and how often it was restarted, so that a person waiting knows what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.targets.protocol import Instance


@dataclass(frozen=True)
class Diagnosis:
    failing: str = ""  # the cause, when an instance is failing
    cause: str = ""  # the latest reason the component is not ready (for a waiting message)


def diagnose(instances: Sequence[Instance]) -> Diagnosis:
    unready = [i for i in instances if not i.ready]
    failing = [i for i in unready if i.failure]
    if failing:
        return Diagnosis(failing=_more(_failure(failing[0]), len(failing)))
    if unready:
        return Diagnosis(cause=_more(_waiting(unready[0]), len(unready)))
    return Diagnosis()


def failed_job(outputs: Iterable[Mapping[str, Any]]) -> str:
    """Why an output Job has failed for good ("" when none has): Kubernetes sets its `Failed` condition
    once the back-off limit (or deadline) is spent and never retries it after that, so a component that
    rendered it (the `uses` trait's binding Job) cannot become healthy by waiting."""
    for obj in outputs:
        if obj.get("apiVersion") != "batch/v1" or obj.get("kind") != "Job":
            continue
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if isinstance(cond, Mapping) and cond.get("type") == "Failed" and cond.get("status") == "True":
                meta = obj.get("metadata") or {}
                said = ": ".join(str(cond[k]) for k in ("reason", "message") if cond.get(k))
                return f"Job {meta.get('namespace', '')}/{meta.get('name', '')} failed" + (
                    f": {said}" if said else ""
                )
    return ""


def _failure(instance: Instance) -> str:
    said = f"{instance.name}: {instance.failure}"
    return said if "restarted" in instance.failure else said + _restarted(instance.restarts)


def _waiting(instance: Instance) -> str:
    return f"{instance.name}: {instance.message or instance.phase}{_restarted(instance.restarts)}"


def _restarted(restarts: int) -> str:
    return f" (restarted {restarts} time{'s' * (restarts != 1)})" if restarts else ""


def _more(text: str, count: int) -> str:
    return text if count == 1 else f"{text} (and {count - 1} more)"
