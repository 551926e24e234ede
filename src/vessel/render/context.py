"""The `context` a template sees: who is rendering, for which application, revision and target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vessel.model.application import Application, Component


@dataclass(frozen=True)
class ClusterVersion:
    major: str = "1"
    minor: str = "31"

    def as_dict(self) -> dict[str, Any]:
        return {
            "major": self.major,
            "minor": int(self.minor),
            "gitVersion": f"v{self.major}.{self.minor}.0",
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
        "revision": f"{component.name}-v{options.revision}",
        "appLabels": dict(app.labels),
        "appAnnotations": dict(app.annotations),
        "workflowName": app.name,
        "publishVersion": app.annotations.get("app.oam.dev/publishVersion", ""),
        "components": [c.name for c in app.components],
        "clusterVersion": options.cluster_version.as_dict(),
        "cluster": options.target,
        "targetType": options.target_type,
    }
