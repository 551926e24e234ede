"""A fake Kubernetes API server over real HTTP, for testing definitions and targets without a cluster.

with FakeKubeServer() as kube:
    kube.kubeconfig(tmp_path / "kubeconfig")
    ...  # lightkube / kubectl against it
    assert kube.get("deployments", "default", "web")["status"]["readyReplicas"] == 1
"""

from vessel.testing.fake_kube.errors import KubeError
from vessel.testing.fake_kube.server import FakeKubeServer

__all__ = ["FakeKubeServer", "KubeError"]
