"""The opt-in end-to-end scenario (examples/clusters through the CLI; tests/clusters_example.py) run
against the fake API server, so it keeps working between the runs on real clusters. The fake's pods run
no containers: the job's output is written into its pod's log once the job has succeeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusters_example import JOB_SAYS, NAMESPACE, deliver_and_check, register
from vessel.testing.fake_kube import FakeKubeServer


def test_the_clusters_example_passes_the_end_to_end_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as kube:
        cluster = register(str(kube.kubeconfig(tmp_path / "kubeconfig")), None)
        try:
            deliver_and_check(cluster, lambda pod: kube.write_log(NAMESPACE, pod, "migrate", JOB_SAYS))
        finally:
            cluster.close()
