"""What an object looks like live: its probes run (when due), readiness decided, and its status reported
the way health policies expect (`status.readyReplicas == spec.replicas`, `status.succeeded == spec.count`).

A replica is ready only once it has *stayed up* for the minimum uptime (`minReadySeconds`, the local
analogue of the Kubernetes field: 1 s unless the object or the target says otherwise) and its readiness
probe, if it has one, passed. Judged the instant a process starts, a program that exits at once would
count as healthy: `vessel up` would report success for something that never worked. Until a replica that
ended abnormally is ready again it is *failing* (`failure` holds why), which the deploy step tells apart
from "not ready yet".
"""

from __future__ import annotations

import json
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vessel.targets.local import logs, objects, probes, source_dir
from vessel.targets.local.objects import SERVICE, Workload, expand
from vessel.targets.local.state import (
    BACKENDS_FILE,
    EXITED,
    FAILED,
    LOGS_DIR,
    RUNNING,
    SUCCEEDED,
    ObjectState,
    Proc,
    work_dir,
    write_json,
)
from vessel.targets.local.supervisor import describe_exit

_MAX_PROBE_THREADS = 8


def run_probes(
    directory: Path,
    state: ObjectState,
    workload: Workload,
    now: float,
    fresh: Collection[str],
    min_ready: float,
) -> None:
    """Run the probes that are due and decide each replica's readiness. Replicas started in this very call
    (`fresh`) are not probed yet: they have had no time to come up."""
    container = workload.container
    jobs: list[tuple[Proc, str, probes.Probe]] = []
    for proc in state.replicas:
        if proc.phase != RUNNING or proc.name in fresh:
            continue
        for kind, probe in (("readiness", container.readiness), ("liveness", container.liveness)):
            if probe is not None and getattr(proc, kind).due(probe, proc.started_at or now, now):
                jobs.append((proc, kind, probe))
    if jobs:
        cwd = work_dir(directory, container.working_dir, workload.component)

        def one(job: tuple[Proc, str, probes.Probe]) -> tuple[bool, str]:
            proc, _, probe = job
            port = proc.port if workload.uses_ports else None
            env = container.process_env(port, source_dir.variables(state.source_dir))
            if probe.action == "exec":  # $(VAR) expands as in the command (e.g. $(VESSEL_PYTHON))
                probe = replace(probe, command=tuple(expand(part, env) for part in probe.command))
            return probes.run(probe, container.probe_port(probe, port, workload.port), cwd, env)

        if len(jobs) == 1:
            results = [one(jobs[0])]
        else:
            with ThreadPoolExecutor(min(len(jobs), _MAX_PROBE_THREADS)) as pool:
                results = list(pool.map(one, jobs))
        for (proc, kind, _), (ok, message) in zip(jobs, results, strict=True):
            getattr(proc, kind).record(ok, message, now)
    for proc in state.replicas:
        _decide(proc, workload, now, min_ready)


def _decide(proc: Proc, workload: Workload, now: float, min_ready: float) -> None:
    readiness, liveness = workload.container.readiness, workload.container.liveness
    if proc.phase != RUNNING:
        proc.ready = False
        if proc.phase == EXITED and workload.kind == SERVICE:
            ended = proc.failure or proc.message.split(_RESTARTS)[0] or describe_exit(proc.exit_code)
            proc.message = f"{ended}{_RESTARTS}{_restart_when(proc, now)}"
        return
    passing = _probe_passing(proc, readiness)
    stayed_up = max(0.0, now - (proc.started_at or now)) >= min_ready  # started in this call: up for 0s
    proc.ready = passing and stayed_up
    if proc.ready and workload.kind == SERVICE:
        proc.failure = ""  # it works again: no longer failing
    if liveness is not None and proc.liveness.failures >= liveness.failure_threshold:
        failures, said = proc.liveness.failures, proc.liveness.message
        proc.message = f"liveness probe failed {failures} times ({said}); restarting on the next apply"
    elif proc.ready:
        proc.message = "ready" if readiness is not None else "running"
    elif passing:
        proc.message = f"starting: counts as ready once up for {min_ready:g}s"
    elif proc.readiness.last is None:
        proc.message = "starting"
    else:
        proc.message = f"not ready (readiness probe): {proc.readiness.message}"


def _probe_passing(proc: Proc, readiness: probes.Probe | None) -> bool:
    """The readiness probe's verdict: passing after `successThreshold` successes, failing after
    `failureThreshold` failures (or before its first run), and unchanged in between."""
    if readiness is None or proc.readiness.successes >= readiness.success_threshold:
        return True
    if proc.readiness.failures >= readiness.failure_threshold or proc.readiness.last is None:
        return False
    return proc.ready


def liveness_failed(proc: Proc, workload: Workload) -> bool:
    probe = workload.container.liveness
    return proc.phase == RUNNING and probe is not None and proc.liveness.failures >= probe.failure_threshold


_RESTARTS = "; restarts "


def _restart_when(proc: Proc, now: float) -> str:
    if proc.next_restart is None or proc.next_restart <= now:
        return "on the next apply"
    return f"in {proc.next_restart - now:.0f}s at the earliest (back-off)"


def sync_backends(directory: Path, state: ObjectState) -> None:
    """Keep the balancer's backend list to the ports of the ready replicas."""
    if state.balancer is None:
        return
    wanted = {"ports": [p.port for p in state.replicas if p.ready and p.port is not None]}
    path = directory / BACKENDS_FILE
    try:
        if json.loads(path.read_bytes()) == wanted:
            return
    except (OSError, ValueError):
        pass
    write_json(path, wanted)


def rotate_logs(directory: Path) -> None:
    try:
        files = [p for p in (directory / LOGS_DIR).iterdir() if p.name.endswith(".log")]
    except FileNotFoundError:
        return
    for path in files:
        logs.rotate(path)


def live(state: ObjectState, workload: Workload) -> dict[str, Any]:
    """The manifest as applied (with defaults), plus `metadata.generation` and `status`."""
    obj = objects.defaulted(state.manifest)
    obj.setdefault("metadata", {})["generation"] = state.generation
    processes = [_process(p) for p in state.replicas]
    status: dict[str, Any] = {"observedGeneration": state.generation}
    if workload.kind == SERVICE:
        running = [p for p in state.replicas if p.phase == RUNNING]
        status.update(
            replicas=len(running),
            readyReplicas=sum(1 for p in running if p.ready),
            availableReplicas=sum(1 for p in running if p.ready),
            updatedReplicas=len(running),  # a spec change replaces every replica: all run the current spec
        )
        endpoint = workload.port
        if endpoint is None and workload.declares_port and len(state.replicas) == 1:
            endpoint = state.replicas[0].port
        if endpoint is not None:
            status["endpoint"] = f"http://127.0.0.1:{endpoint}"
        if state.balancer is not None:
            status["balancer"] = {
                "pid": state.balancer.pid if state.balancer.phase == RUNNING else None,
                "port": state.balancer.port,
                "running": state.balancer.phase == RUNNING,
                "message": state.balancer.message,
            }
    else:
        status.update(
            active=sum(1 for p in state.replicas if p.phase == RUNNING),
            succeeded=sum(1 for p in state.replicas if p.phase == SUCCEEDED),
            failed=sum(1 for p in state.replicas if p.phase == FAILED),
        )
        finished = [p.finished_at for p in state.replicas if p.phase == SUCCEEDED and p.finished_at]
        if state.replicas and len(finished) == len(state.replicas):
            status["completionTime"] = _timestamp(max(finished))
        if workload.kind == objects.CRON_TASK:
            status["lastScheduleTime"] = _timestamp(state.last_run)
            status["lastSuccessfulTime"] = _timestamp(state.last_successful)
    status["processes"] = processes
    if state.message:
        status["message"] = state.message
    obj["status"] = status
    return obj


def _process(proc: Proc) -> dict[str, Any]:
    return {
        "name": proc.name,
        "pid": proc.pid if proc.phase == RUNNING else None,
        "port": proc.port,
        "phase": proc.phase,
        "ready": proc.ready,
        "restarts": proc.restarts,
        "exitCode": proc.exit_code,
        "startedAt": _timestamp(proc.started_at),
        "message": proc.message,
        "failure": proc.failure,
    }


def _timestamp(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
