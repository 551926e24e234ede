"""Before-delete hooks: a Job the target runs to completion before it deletes an object.

An object whose annotation `hooks.vessel.dev/before-delete` holds a Job (as JSON) is not deleted at
once: the target creates that Job in the object's namespace (server-side apply, so asking again is
harmless) and reports the delete as not done yet — a transient error, so the engine's garbage collection
tries again with back-off, which is how it already waits for any delete. Once the Job has succeeded the
Job and then the object are deleted; a Job that failed for good (its `Failed` condition) makes each try
an error naming the Job and its message, until someone fixes the cause and deletes that Job (it is then
run again) or forgets the object (`vessel delete --orphan`). It is how `uses` bindings with
`onDelete: drop` drop their database or keys (docs/addons.md); Kubernetes has no such hook of its own
(finalizers need a controller watching the object).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vessel.errors import Location, TargetRejectedError

ANNOTATION = "hooks.vessel.dev/before-delete"
RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"


def hook_of(live: Mapping[str, Any], what: str) -> dict[str, Any] | None:
    """The Job to run before deleting `live` (placed in its namespace), or None."""
    meta = live.get("metadata") or {}
    text = (meta.get("annotations") or {}).get(ANNOTATION)
    if text is None:
        return None
    where = Location(path=f"metadata.annotations.{ANNOTATION}")
    try:
        job = json.loads(str(text))
    except ValueError as exc:
        raise TargetRejectedError(f"{what}: annotation {ANNOTATION} is not JSON: {exc}", where) from None
    if not isinstance(job, dict) or job.get("apiVersion") != "batch/v1" or job.get("kind") != "Job":
        raise TargetRejectedError(f"{what}: annotation {ANNOTATION} must hold a batch/v1 Job", where)
    name = (job.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise TargetRejectedError(f"{what}: the Job in annotation {ANNOTATION} has no metadata.name", where)
    job["metadata"] = {**job["metadata"], "namespace": meta.get("namespace", "")}
    return job


def progress(job: Mapping[str, Any]) -> tuple[str, str]:
    """(RUNNING | SUCCEEDED | FAILED, what its status says) of a live Job."""
    status = job.get("status") or {}
    for cond in status.get("conditions") or []:
        if isinstance(cond, Mapping) and cond.get("status") == "True":
            said = ": ".join(str(cond[k]) for k in ("reason", "message") if cond.get(k))
            if cond.get("type") == "Failed":
                return FAILED, said
            if cond.get("type") == "Complete":
                return SUCCEEDED, said
    if int(status.get("succeeded") or 0) >= 1:
        return SUCCEEDED, ""
    return RUNNING, f"{int(status.get('active') or 0)} active, {int(status.get('failed') or 0)} failed"
