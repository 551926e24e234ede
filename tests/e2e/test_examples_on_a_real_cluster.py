"""End to end on a real Kubernetes cluster (kind, k3d, any): opt-in, `pytest -m e2e` with KUBECONFIG set
(and VESSEL_E2E_CONTEXT to pick a context other than the current one). examples/clusters is delivered
through the CLI (see tests/clusters_example.py): its pods must become ready, its job must finish and
print, `vessel diff` must find nothing to change, and `vessel delete` must remove what was delivered.
Needs the cluster to pull nginx:1.27-alpine and busybox:1.36."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusters_example import APP, NAMESPACE, deliver_and_check, register, vessel
from vessel.targets.kubernetes import KubernetesTarget

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="needs a real cluster: set KUBECONFIG"),
]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KubernetesTarget]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    target = register(os.environ["KUBECONFIG"].split(os.pathsep)[0], os.environ.get("VESSEL_E2E_CONTEXT"))
    yield target
    vessel("delete", APP, "-n", NAMESPACE, "--timeout", "2m")
    target.close()


def test_the_clusters_example_runs_on_a_real_cluster(cluster: KubernetesTarget) -> None:
    deliver_and_check(cluster)
