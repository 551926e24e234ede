"""`build-push-image` and `clean-jobs`: steps that run, or clean up after, pods on a Kubernetes target.

`build-push-image` applies the Kaniko pod KubeVela's CUE renders (`NAME-SESSION-kaniko`: the executor
image, `--dockerfile`, `--context` — `git://REPO#refs/heads/BRANCH` for a git context —, `--destination`,
`--verbosity`, `--customPlatform`, `--build-arg`s, the registry credentials mounted at
`/kaniko/.docker/`, the git token as `GIT_TOKEN`), recorded in the application's inventory like an
`apply-object`, and waits until the pod succeeds; a failed pod fails the step with its exit code, reason
and last log line, and one that cannot run (its executor image cannot be pulled, its container cannot
start) fails it after the few retries a failing workload gets (`backoff.FAILING_WORKLOAD_ERRORS`).
The session is derived from the run and the step, so a re-run after a crash finds the same pod instead
of starting a second build. Only a `kubernetes` target can run the pod: anywhere
else the step fails at once saying so (a directory or memory target would record a pod that never
builds anything, and report a success that is not one).

`clean-jobs` deletes the Jobs and Pods in `namespace` carrying `labelselector` (by default
`workflow.oam.dev/name: APP`), as KubeVela does, on targets that can list objects by label (kubernetes,
memory; `targets.protocol.LabelListing`); elsewhere it fails at once saying so. Vessel only touches
what it made or was told to adopt: an object another application's inventory holds is left alone (and
named); one this application's holds is forgotten once deleted, so it is not put back as drift.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from itertools import islice
from typing import Any

from vessel.errors import ComponentFailingError, ValidationError, VesselError
from vessel.model.resource_key import ResourceKey
from vessel.targets.protocol import LabelListing, Target
from vessel.workflow import backoff
from vessel.workflow.delivery import Delivery
from vessel.workflow.diagnosis import Diagnosis, diagnose
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

POLL_SECONDS = 5.0
WORKFLOW_NAME_LABEL = "workflow.oam.dev/name"
DEFAULT_BRANCH = "master"  # KubeVela's #git.branch default


def build_push_image(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    target_name = _kubernetes_target(delivery, ctx.properties.get("cluster"), "build-push-image")
    pod = kaniko_pod(ctx.app.name, ctx.app.namespace, _session(ctx), ctx.properties)
    key = ResourceKey.of(pod)
    target = delivery.targets.get(target_name)
    live = target.get(key)
    if live is None:
        live = delivery.apply_object(target_name, f"step:{ctx.step.name}", pod)
    phase = (live.get("status") or {}).get("phase") or "Pending"
    image = ctx.properties["image"]
    if phase == "Succeeded":
        return Outcome.succeeded(message=f"built and pushed {image} (pod {key.name} on {target_name})")
    if phase == "Failed":
        why = _why(target, key, live)
        return Outcome.failed(f"build-push-image: pod {key.name} failed to build {image}: {why}")
    found = _diagnosis(target, key)
    if found.failing:  # cannot pull the executor image, cannot start: a build that will never run
        raise ComponentFailingError(
            f"build-push-image: pod {key.name} cannot build {image}: {found.failing}",
            give_up_after=backoff.FAILING_WORKLOAD_ERRORS,
        )
    return Outcome.wait(f"waiting for pod {key.name} to build {image}: {found.cause or phase}", POLL_SECONDS)


def _diagnosis(target: Target, key: ResourceKey) -> Diagnosis:
    try:
        return diagnose(target.instances(key))
    except VesselError:  # the pod cannot be read now: it is waited for, as before
        return Diagnosis()


def kaniko_pod(app: str, namespace: str, session: str, p: Mapping[str, Any]) -> dict[str, Any]:
    """The pod KubeVela's build-push-image renders for these (validated) parameters."""
    args = [
        f"--dockerfile={p['dockerfile']}",
        f"--context={_context_url(p['context'])}",
        f"--destination={p['image']}",
        f"--verbosity={p['verbosity']}",
    ]
    args += [f"--customPlatform={p['platform']}"] if "platform" in p else []
    args += [f"--build-arg={arg}" for arg in p.get("buildArgs") or []]
    container: dict[str, Any] = {"args": args, "image": p["kanikoExecutor"], "name": "kaniko"}
    spec: dict[str, Any] = {"containers": [container], "restartPolicy": "Never"}
    credentials = p.get("credentials") or {}
    if "image" in credentials:
        secret = credentials["image"]
        container["volumeMounts"] = [{"mountPath": "/kaniko/.docker/", "name": secret["name"]}]
        items = [{"key": secret["key"], "path": "config.json"}]
        volume = {"defaultMode": 420, "items": items, "secretName": secret["name"]}
        spec["volumes"] = [{"name": secret["name"], "secret": volume}]
    if "git" in credentials:
        ref = {"key": credentials["git"]["key"], "name": credentials["git"]["name"]}
        container["env"] = [{"name": "GIT_TOKEN", "valueFrom": {"secretKeyRef": ref}}]
    meta = {"name": f"{app}-{session}-kaniko", "namespace": namespace}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _context_url(context: str | Mapping[str, Any]) -> str:
    if isinstance(context, str):
        return context
    address = str(context["git"]).removeprefix("git://")
    branch = context.get("branch") or DEFAULT_BRANCH  # schema defaults are not filled inside a oneOf
    return f"git://{address}#refs/heads/{branch}"


def _session(ctx: StepContext) -> str:
    """Stable for this step in this run (a crash's re-run finds the same pod), new in the next run."""
    return hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()[:8]


def _why(target: Target, key: ResourceKey, live: Mapping[str, Any]) -> str:
    said = []
    for status in (live.get("status") or {}).get("containerStatuses") or []:
        ended = (status.get("state") or {}).get("terminated") or {}
        if ended:
            said.append(
                f"exit code {ended.get('exitCode')}"
                + "".join(f": {ended[k]}" for k in ("reason", "message") if ended.get(k))
            )
    last = _last_log_line(target, key)
    said += [f"last log line: {last}"] if last else []
    return "; ".join(said) or "the pod's phase is Failed"


def _last_log_line(target: Target, key: ResourceKey) -> str:
    try:
        lines = list(islice(target.logs(key, tail=1), 1))
    except VesselError:
        return ""
    return lines[0].split(" | ", 1)[-1].strip() if lines else ""


def clean_jobs(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    target_name = delivery.target_or_default(ctx.properties.get("cluster"))
    target = delivery.targets.get(target_name)
    if not isinstance(target, LabelListing):
        raise ValidationError(
            f"clean-jobs deletes Jobs and Pods on a Kubernetes cluster, and target {target_name!r} is a "
            f"{target.info.type} target, which has none",
            hint="name a kubernetes target in `cluster`, or make one the default (vessel target set-default)",
        )
    namespace = ctx.properties.get("namespace") or ctx.app.namespace
    labels = ctx.properties.get("labelselector") or {WORKFLOW_NAME_LABEL: ctx.app.name}
    deleted: dict[str, int] = {"Job": 0, "Pod": 0}
    kept: list[str] = []
    for api_version, kind in (("batch/v1", "Job"), ("v1", "Pod")):
        for obj in target.list_labelled(api_version, kind, namespace, labels):
            key = ResourceKey.of(obj)
            holders = delivery.store.holders(target_name, key)
            if any(app_id != delivery.app_id for app_id in holders):
                kept.append(f"{kind} {key.name}")
                continue
            deleted[kind] += int(target.delete(key))
            if delivery.app_id in holders:
                delivery.store.forget(delivery.app_id, target_name, key)
    note = f"; left alone (another application's): {', '.join(kept)}" if kept else ""
    return Outcome.succeeded(message=f"deleted {deleted['Job']} job(s), {deleted['Pod']} pod(s){note}")


def _kubernetes_target(delivery: Delivery, cluster: str | None, step: str) -> str:
    name = delivery.target_or_default(cluster)
    types = {t.name: t.type for t in delivery.targets.infos()}
    if name not in types:
        raise ValidationError(f"{step}: no target named {name!r}", hint=f"known: {', '.join(sorted(types))}")
    if types[name] != "kubernetes":
        raise ValidationError(
            f"{step} runs on a Kubernetes cluster, and target {name!r} is a {types[name]} target",
            hint="name a kubernetes target in `cluster`, or make one the default (vessel target set-default)",
        )
    return name


STEPS: dict[str, StepFunction] = {"build-push-image": build_push_image, "clean-jobs": clean_jobs}
