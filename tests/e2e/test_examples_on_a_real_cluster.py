"""End to end on a real Kubernetes cluster (kind, k3d, any): opt-in, `pytest -m e2e` with KUBECONFIG set
(and VESSEL_E2E_CONTEXT to pick a context other than the current one). examples/clusters is delivered
through the CLI; its pods must become ready, its job must finish and print, `vessel diff` must find
nothing to change, and `vessel delete` must remove what was delivered. Needs the cluster to pull
nginx:1.27-alpine and busybox:1.36."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.resource_key import ResourceKey
from vessel.targets.kubernetes import KubernetesTarget
from vessel.targets.protocol import TargetInfo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="needs a real cluster: set KUBECONFIG"),
]
EXAMPLE = Path(__file__).parents[2] / "examples" / "clusters" / "app.yaml"
NAMESPACE = "vessel-demo"
runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KubernetesTarget]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    kubeconfig = os.environ["KUBECONFIG"].split(os.pathsep)[0]
    context = os.environ.get("VESSEL_E2E_CONTEXT")
    args = ["target", "add", "e2e", "--type", "kubernetes", "--kubeconfig", kubeconfig]
    args += ["--context", context] if context else []
    added = vessel(*args, "--label", "stage=prod", "--label", "region=eu", "--default")
    assert added.exit_code == 0, added.output
    config = {"kubeconfig": kubeconfig} | ({"context": context} if context else {})
    target = KubernetesTarget(TargetInfo("e2e", "kubernetes", {}, config))
    yield target
    vessel("delete", "web-shop", "-n", NAMESPACE, "--timeout", "2m")
    target.close()


def test_the_clusters_example_runs_on_a_real_cluster(cluster: KubernetesTarget) -> None:
    listed = json.loads(vessel("target", "list", "-o", "json").stdout)
    e2e = next(t for t in listed if t["name"] == "e2e")
    assert e2e["reachable"] and e2e["version"].startswith("v1."), e2e

    up = vessel("up", "-f", str(EXAMPLE), "--timeout", "5m")
    assert up.exit_code == 0, up.output

    status = json.loads(vessel("status", "web-shop", "-n", NAMESPACE, "--tree", "-o", "json").stdout)
    assert status["phase"] == "running", status["message"]
    workloads = {r["component"]: r for r in status["resources"] if "instances" in r}
    pods = workloads["web"]["instances"]
    assert len(pods) == 3 and all(p["ready"] for p in pods), pods  # region=eu: three replicas
    assert all(p["containers"][0]["restarts"] == 0 for p in pods)
    assert any(p["phase"] == "Succeeded" for p in workloads["migrate"]["instances"])

    logs = vessel("logs", "web-shop", "-n", NAMESPACE, "-c", "migrate")
    assert logs.exit_code == 0 and "migrating the shop database" in logs.stdout, logs.output

    diff = vessel("diff", "web-shop", "-n", NAMESPACE)
    assert diff.exit_code == 0, diff.output

    deleted = vessel("delete", "web-shop", "-n", NAMESPACE, "--timeout", "2m")
    assert deleted.exit_code == 0, deleted.output
    web = ResourceKey("apps/v1", "Deployment", NAMESPACE, "web")
    deadline = time.monotonic() + 60
    while cluster.get(web) is not None and time.monotonic() < deadline:
        time.sleep(1)
    assert cluster.get(web) is None
