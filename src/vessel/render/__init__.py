"""The render layer: pure functions from (application, definitions, options) to resources.

The names below are imported on first use: judging health (`render.health`) needs none of the renderer,
and `vessel status` must not import it with it (as `vessel.store` does for its records).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vessel.model.resource_key import ResourceKey
    from vessel.render.application import render_application, resources
    from vessel.render.component import RenderedComponent, render_component, workload_type
    from vessel.render.context import ClusterVersion, RenderOptions
    from vessel.render.health import evaluate_status
    from vessel.render.resource import Resource
    from vessel.render.strategic_merge import strategic_merge

_WHERE = {
    "ResourceKey": "vessel.model.resource_key",
    "render_application": "vessel.render.application",
    "resources": "vessel.render.application",
    "RenderedComponent": "vessel.render.component",
    "render_component": "vessel.render.component",
    "workload_type": "vessel.render.component",
    "ClusterVersion": "vessel.render.context",
    "RenderOptions": "vessel.render.context",
    "evaluate_status": "vessel.render.health",
    "Resource": "vessel.render.resource",
    "strategic_merge": "vessel.render.strategic_merge",
}

__all__ = [
    "ClusterVersion",
    "RenderOptions",
    "RenderedComponent",
    "Resource",
    "ResourceKey",
    "evaluate_status",
    "render_application",
    "render_component",
    "resources",
    "strategic_merge",
    "workload_type",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vessel.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
