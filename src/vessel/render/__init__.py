"""The render layer: pure functions from (application, definitions, options) to resources."""

from vessel.model.resource_key import ResourceKey
from vessel.render.application import render_application, resources
from vessel.render.component import RenderedComponent, render_component, workload_type
from vessel.render.context import ClusterVersion, RenderOptions
from vessel.render.health import evaluate_status
from vessel.render.resource import Resource
from vessel.render.strategic_merge import strategic_merge

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
