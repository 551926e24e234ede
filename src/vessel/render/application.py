"""Rendering a whole Application: every component, in declaration order, checked for collisions."""

from __future__ import annotations

from vessel.definitions.check import check_application
from vessel.definitions.limits import DEFAULT_LIMITS, RenderLimits
from vessel.definitions.registry import Registry
from vessel.errors import RenderError, VesselError, collecting, raise_collected
from vessel.model.application import Application
from vessel.model.resource_key import ResourceKey
from vessel.render.component import RenderedComponent, render_component
from vessel.render.context import RenderOptions
from vessel.render.ref_objects import check_selectors, unresolved
from vessel.render.resource import Resource


def render_application(
    app: Application,
    registry: Registry,
    options: RenderOptions | None = None,
    limits: RenderLimits = DEFAULT_LIMITS,
) -> tuple[RenderedComponent, ...]:
    """Render every component (a ref-objects component not read yet only has its selectors checked:
    `ref_objects.py`). Every problem is reported in one pass: unknown types and bad policy or
    step properties (`check_application`), each failing component, and two components making one object."""
    rendered: list[RenderedComponent] = []
    problems: list[VesselError] = []
    with collecting(problems):
        check_application(app, registry)
    for component in app.components:
        with collecting(problems):
            if unresolved(component):  # its objects are read when a deploy delivers it
                check_selectors(app, component)
                continue
            rendered.append(render_component(app, component, registry, options, limits))
    raise_collected(_unique(problems))
    _check_collisions(app, rendered)
    return tuple(rendered)


def _unique(problems: list[VesselError]) -> list[VesselError]:
    """The same mistake found by the check and by rendering is reported once."""
    return list({p.render(): p for p in problems}.values())


def resources(rendered: tuple[RenderedComponent, ...]) -> list[Resource]:
    return [r for comp in rendered for r in comp.resources]


def _check_collisions(app: Application, rendered: list[RenderedComponent]) -> None:
    seen: dict[ResourceKey, Resource] = {}
    for comp in rendered:
        for res in comp.resources:
            first = seen.setdefault(res.key, res)
            if first is not res:
                raise RenderError(
                    f"{res.key} is rendered twice: by {first.origin} of component {first.component!r} "
                    f"and by {res.origin} of component {res.component!r}",
                    app.locate(app.component(res.component).path),
                    hint="give one of them another metadata.name",
                )
