"""Rendered manifests without delivering them: `vessel dry-run` (Application files) and `vessel revision
show` (a stored revision).

Both render each deploy placement the way delivery would choose it — topology and override policies
applied, the placement's namespace — and return `(source, resource)` pairs, `source` being the
application's name as `vela dry-run` heads a placement (`shop with topology eu`, `shop only with override
policies`) followed by ` @ target` when a deploy step placed it. They differ in what they know:

- dry-run renders files that were never submitted, for Kubernetes (as `vela dry-run` does), and reads
  the registered targets only if a store already exists (it never creates one); it names a placement's
  target only when a topology policy chose it (the default target renders nothing target-specific);
- a revision is rendered from its own snapshot (its definitions as they were), for each target's type
  (`local` targets render their local form) and the Kubernetes version the target reports, so it shows
  what delivering that revision applies — with a Secret's values masked and any other secret value
  redacted (`model.redaction.shown`), since it reads the store;
- dry-run masks nothing: it prints the user's own files rendered, to be piped into `kubectl apply` or a
  GitOps repository, as `kubectl --dry-run -o yaml` and `vela dry-run` do (and reads no secret file:
  a `secretKeyRef` stays a reference).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from vessel.controller.delivered import delivered_renders
from vessel.definitions.check import check_application
from vessel.definitions.registry import Registry
from vessel.errors import NotFoundError, TargetRejectedError, VesselError, collecting, raise_collected
from vessel.model.application import Application
from vessel.model.redaction import shown
from vessel.policies.topology import Labelled, Placement
from vessel.render.application import render_application
from vessel.render.component import render_component
from vessel.render.context import ClusterVersion, RenderOptions
from vessel.render.ref_objects import unresolved
from vessel.render.resource import Resource
from vessel.store.location import existing_url
from vessel.store.records import AppRecord
from vessel.store.store import Store
from vessel.workflow.delivery import TargetProvider
from vessel.workflow.preview import env_clusters, previews

if TYPE_CHECKING:
    from vessel.controller.controller import Controller

Manifests = list[tuple[str, Resource]]
Options = Callable[[Placement | None], RenderOptions]


@dataclass(frozen=True)
class Named:
    """A target as topology sees it, when only its name (and labels) are known."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)


def render_placements(
    app: Application,
    registry: Registry,
    targets: Sequence[Labelled],
    default: str | None,
    options: Options,
    *,
    name_default: bool = True,
) -> Manifests:
    """Every component of `app`, once per deploy placement, with `options(placement)`. The source names
    the target of each deploy placement — unless `name_default` is False and the step went to the
    default target only because its topology chose none."""
    known = {t.name for t in targets}
    names = [n for p in app.policies for n in p.properties.get("clusters", ())] + env_clusters(app)
    mentioned = [Named(n) for n in dict.fromkeys(names) if n not in known]  # rendering needs no registration
    found: Manifests = []
    for preview in previews(app, [*targets, *mentioned], default or "local"):
        variant = replace(app, components=preview.components)
        placement = preview.placement
        named = preview.step is not None and (preview.selected or name_default)
        where = f" @ {placement.target}" if placement is not None and named else ""
        for comp in (c for c in variant.components if not unresolved(c)):  # read when a deploy runs
            for res in render_component(variant, comp, registry, options(placement)).resources:
                found.append((f"{preview.heading(app.name)}{where}", res))
    return found


def check_renders(app: Application, registry: Registry, targets: TargetProvider | None = None) -> None:
    """Render every component of `app` as it will be delivered — for the type of each target it lands
    on (`delivered.py`), or for Kubernetes when no `targets` are known — so that every mistake in it (or
    in a definition it uses) is reported, all of them, with file, line and field, before anything is
    stored or printed."""
    if targets is None:
        render_application(app, registry)
        return
    problems: list[VesselError] = []
    with collecting(problems):  # types and step properties, also when no component is rendered at all
        check_application(app, registry)
    for render in delivered_renders(app, registry, targets):
        with collecting(problems):
            render_application(replace(app, components=render.components), registry, render.options)
    raise_collected(list({p.render(): p for p in problems}.values()))


def dry_run(app: Application, registry: Registry) -> Manifests:
    """`app` rendered for Kubernetes at each placement, the registered targets (if any) taken into
    account for label selectors and the default target."""
    targets, default = registered_targets()

    def options(placement: Placement | None) -> RenderOptions:
        return RenderOptions(
            namespace=placement.namespace if placement else None,
            target=placement.target if placement else "local",
        )

    return render_placements(app, registry, targets, default, options, name_default=False)


def registered_targets() -> tuple[list[Named], str | None]:
    """The targets of the store, when one exists (this never creates one), and the default's name."""
    url = existing_url()
    if url is None:
        return [], None
    store = Store.open(url)
    try:
        records = store.targets()
    finally:
        store.close()
    default = next((info.name for info, is_default in records if is_default), None)
    return [Named(info.name, dict(info.labels)) for info, _ in records], default


def revision_manifests(controller: Controller, app: AppRecord, number: int) -> Manifests:
    """What delivering revision `number` of `app` applies, rendered again from its snapshot."""
    if not 1 <= number <= app.latest_revision:
        raise NotFoundError(
            f"application {app.namespace}/{app.name} has no revision {number}",
            hint=f"revisions: 1..{app.latest_revision} (see `vessel revision list {app.name}`)",
        )
    model, registry = controller.revision_context(app.id, number)
    targets = controller.targets

    def options(placement: Placement | None) -> RenderOptions:
        name = placement.target if placement else targets.default() or "local"
        return RenderOptions(
            target_type=targets.render_type(name),
            revision=number,
            namespace=placement.namespace if placement else None,
            cluster_version=_cluster_version(controller, name),
            target=name,
        )

    rendered = render_placements(model, registry, targets.infos(), targets.default(), options)
    return [(source, replace(res, body=shown(res.body))) for source, res in rendered]


def _cluster_version(controller: Controller, target: str) -> ClusterVersion:
    """The version the target reports (templates choose API versions by it), else the default."""
    version = controller.targets.get(target).cluster_version()
    try:
        return ClusterVersion.parse(version) if version else ClusterVersion()
    except ValueError:
        raise TargetRejectedError(
            f"target {target!r} reports version {version!r}, which is not a Kubernetes version"
        ) from None
