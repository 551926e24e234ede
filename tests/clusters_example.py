"""The examples/clusters scenario, shared by the opt-in end-to-end suite (a real cluster) and a regular
test against the fake API server, so the end-to-end suite cannot rot unnoticed in CI."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.resource_key import ResourceKey
from vessel.targets.kubernetes import KubernetesTarget
from vessel.targets.protocol import TargetInfo

EXAMPLE = Path(__file__).parent.parent / "examples" / "clusters" / "app.yaml"
APP, NAMESPACE = "web-shop", "vessel-demo"
JOB_SAYS = "migrating the shop database"
runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def register(kubeconfig: str, context: str | None) -> KubernetesTarget:
    """`vessel target add e2e` for the cluster (labelled to receive the European placement)."""
    args = ["target", "add", "e2e", "--type", "kubernetes", "--kubeconfig", kubeconfig]
    args += ["--context", context] if context else []
    added = vessel(*args, "--label", "stage=prod", "--label", "region=eu", "--default")
    assert added.exit_code == 0, added.output
    config = {"kubeconfig": kubeconfig} | ({"context": context} if context else {})
    return KubernetesTarget(TargetInfo("e2e", "kubernetes", {}, config))


def deliver_and_check(cluster: KubernetesTarget, job_done: Callable[[str], None] = lambda pod: None) -> None:
    """Deliver the example through the CLI and check what a user would: the target is reachable, pods
    become ready, the job succeeds and its output is in `vessel logs`, `vessel diff` finds nothing, and
    `vessel delete` removes it all. `job_done(pod)` runs once the job's pod has succeeded."""
    listed = json.loads(vessel("target", "list", "-o", "json").stdout)
    e2e = next(t for t in listed if t["name"] == "e2e")
    assert e2e["reachable"] and e2e["version"].startswith("v1."), e2e

    up = vessel("up", "-f", str(EXAMPLE), "--timeout", "5m")
    assert up.exit_code == 0, up.output

    status = json.loads(vessel("status", APP, "-n", NAMESPACE, "--tree", "-o", "json").stdout)
    assert status["phase"] == "running", status["message"]
    workloads = {r["component"]: r for r in status["resources"] if "instances" in r}
    pods = workloads["web"]["instances"]
    assert len(pods) == 3 and all(p["ready"] for p in pods), pods  # region=eu: three replicas
    assert all(p["containers"][0]["restarts"] == 0 for p in pods)
    job_pods = [p for p in workloads["migrate"]["instances"] if p["phase"] == "Succeeded"]
    assert job_pods, workloads["migrate"]
    job_done(job_pods[0]["name"])

    logs = vessel("logs", APP, "-n", NAMESPACE, "-c", "migrate")
    assert logs.exit_code == 0 and JOB_SAYS in logs.stdout, logs.output

    diff = vessel("diff", APP, "-n", NAMESPACE)
    assert diff.exit_code == 0, diff.output

    deleted = vessel("delete", APP, "-n", NAMESPACE, "--timeout", "2m")
    assert deleted.exit_code == 0, deleted.output
    web = ResourceKey("apps/v1", "Deployment", NAMESPACE, "web")
    deadline = time.monotonic() + 60
    while cluster.get(web) is not None and time.monotonic() < deadline:
        time.sleep(1)
    assert cluster.get(web) is None
