"""A fake Kubernetes API server over real HTTP, for testing definitions and targets without a cluster.

with FakeKubeServer(version="1.30") as kube:  # what /version says; "1.31" by default
    kube.kubeconfig(tmp_path / "kubeconfig")
    ...  # lightkube / kubectl against it: apply a Deployment "web" with 2 replicas
    assert kube.get("deployments", "default", "web")["status"]["readyReplicas"] == 2
    pod = kube.pods("default", "app=web")[0]["metadata"]["name"]  # web-<hash>-<5>, Running on fake-node
    kube.write_log("default", pod, "web", "listening on :80")  # GET .../pods/{pod}/log answers it
    kube.set_status("pods", "default", pod, {...})  # a crash: the Deployment's status follows

Like an API server it defaults `spec.replicas`, skips writes that change nothing and deletes an object's
dependents with it; while `kube.controller` is on (the default) it also runs the workload controllers
and the kubelet, synchronously (see `workloads`).
"""

from vessel.testing.fake_kube.errors import KubeError
from vessel.testing.fake_kube.server import FakeKubeServer

__all__ = ["FakeKubeServer", "KubeError"]
