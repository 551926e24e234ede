"""The `context` a template sees: who is rendering, for which application, revision and target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vessel.definitions.target_reads import TargetReads
from vessel.model.application import Application, Component
from vessel.model.kube_version import parse_kube_version


@dataclass(frozen=True)
class ClusterVersion:
    """What templates see as `context.clusterVersion` (minor as a number, so `minor < 23` works)."""

    major: str = "1"
    minor: str = "31"
    git_version: str = ""

    @classmethod
    def parse(cls, version: str) -> ClusterVersion:
        """From a server's gitVersion (`v1.27.3`, `v1.29.1+k3s1`, `1.30`); ValueError if it is not one."""
        parsed = parse_kube_version(version)
        if parsed is None:
            raise ValueError(f"not a Kubernetes version: {version!r}")
        major, minor, patch = parsed
        git_version = version.strip()
        return cls(
            str(major),
            str(minor),
            git_version if git_version.startswith("v") else f"v{major}.{minor}.{patch}",
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "major": self.major,
            "minor": int(self.minor),
            "gitVersion": self.git_version or f"v{self.major}.{self.minor}.0",
            "platform": "linux/amd64",
        }


@dataclass(frozen=True)
class RenderOptions:
    """What the caller knows about where and as what this render happens."""

    target_type: str = "kubernetes"
    revision: int = 1
    namespace: str | None = None  # overrides the Application's namespace (topology policies do this)
    cluster_version: ClusterVersion = field(default_factory=ClusterVersion)
    target: str = "local"
    # what a reading template (a helmchart's valuesFrom) may read from the target: None in previews
    reads: TargetReads | None = field(default=None, compare=False)


def app_namespace(app: Application, options: RenderOptions) -> str:
    return options.namespace or app.namespace


def base_context(app: Application, component: Component, options: RenderOptions) -> dict[str, Any]:
    """KubeVela's context fields (names kept so templates port over) plus Vessel's `targetType`."""
    return {
        "name": component.name,
        "appName": app.name,
        "namespace": app_namespace(app, options),
        "appRevision": f"{app.name}-v{options.revision}",
        "appRevisionNum": options.revision,
        "revision": component.external_revision or f"{component.name}-v{options.revision}",
        "appLabels": dict(app.labels),
        "appAnnotations": dict(app.annotations),
        "workflowName": app.name,
        "publishVersion": app.annotations.get("app.oam.dev/publishVersion", ""),
        "components": [c.name for c in app.components],
        "clusterVersion": options.cluster_version.as_dict(),
        "cluster": options.target,
        "targetType": options.target_type,
        **({"replicaKey": component.replica_key} if component.replica_key else {}),
    }
