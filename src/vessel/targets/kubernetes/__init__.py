"""The `kubernetes` target: server-side apply to a real cluster's API server (see `target`)."""

from vessel.targets.kubernetes.target import KubernetesTarget

__all__ = ["KubernetesTarget"]
