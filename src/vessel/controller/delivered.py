"""What each component will be rendered as when it is delivered: the renders `vessel up` checks first.

A component is rendered for the type of each target it lands on (`kubernetes` for clusters, directories
and memory targets, `local` for this machine), so checking it for any other type is wrong both ways: a
ComponentDefinition with only a `local` template was refused on its way to the local target, and a
`webservice` without `cmd` passed the check and failed only when the local target ran it.

The targets come from the effective workflow, the way its steps place themselves:

- each `deploy` step: its topology policies' placements (the default target without one), with its
  override policies applied to the components;
- each `apply-component` step: its `cluster`, else the default target;
- each `deploy2env` step: its env's placements, with the env's selector and patch applied;
A placement that cannot be worked out now (a target not registered yet, a selector matching nothing) is
left out: the step itself reports it when it runs, as before. A component that lands on no known target
— no step delivers it, or only such placements — is still checked (its properties, its definition), as
before this check knew about targets: for Kubernetes if its definition renders for it, else for a type
it renders for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from vessel.definitions.definition import Kind
from vessel.definitions.registry import Registry
from vessel.definitions.target_reads import TargetReads
from vessel.errors import VesselError
from vessel.model.application import Application, Component, Step
from vessel.model.env_bindings import DEPLOY2ENV, env_of
from vessel.model.frozen import EMPTY
from vessel.model.resource_key import ResourceKey
from vessel.policies.envbinding import env_components, env_placements
from vessel.policies.replication import shape
from vessel.policies.topology import place
from vessel.render.context import RenderOptions
from vessel.targets.protocol import ClusterReading
from vessel.workflow.delivery import TargetProvider
from vessel.workflow.plan import plan_for


@dataclass(frozen=True)
class Render:
    """One render to check: these components, as delivered to `target` (of `target_type`); `reads`: what
    a render may read from the target (a helmchart's `valuesFrom`): a Kubernetes target's cluster,
    leniently (what is missing now may be created by then); nothing from another target, so what needs a
    cluster is refused now, as the deploy step would refuse it."""

    target: str
    target_type: str
    namespace: str | None
    components: tuple[Component, ...]
    reads: TargetReads | None = None

    @property
    def options(self) -> RenderOptions:
        return RenderOptions(self.target_type, namespace=self.namespace, target=self.target, reads=self.reads)


def delivered_renders(app: Application, registry: Registry, targets: TargetProvider) -> list[Render]:
    """Every distinct render delivering `app` will make, and one for each component no known target gets."""
    known = {info.name: info.type for info in targets.infos()}
    found: dict[tuple[str, str | None, str | None, tuple[Component, ...]], Render] = {}
    for step, _ in plan_for(app).all_steps():
        for target, namespace, components in _placed(app, step, targets):
            if target in known:
                cluster = known[target] == KUBERNETES  # each cluster is read on its own; others alike
                reader = _LaterReader(targets, target) if cluster else None
                reads = TargetReads(target, reader, lenient=cluster)
                render = Render(target, targets.render_type(target), namespace, components, reads)
                where = target if cluster else None
                found.setdefault((render.target_type, where, namespace, components), render)
    reached = {c.name for r in found.values() for c in r.components}
    left = [c for c in app.components if c.name not in reached]
    return [*found.values(), *_undelivered(left, registry, targets)]


class _LaterReader:
    """A cluster target's objects, reached only when a render reads one (most never do)."""

    def __init__(self, targets: TargetProvider, name: str):
        self.targets, self.name = targets, name

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        target = self.targets.get(self.name)
        return target.read_cluster_object(key) if isinstance(target, ClusterReading) else None


Placed = tuple[str, str | None, tuple[Component, ...]]
KUBERNETES = "kubernetes"


def _placed(app: Application, step: Step, targets: TargetProvider) -> Iterator[Placed]:
    if step.type == "apply-component":
        name = step.properties.get("component")
        chosen = tuple(c for c in app.components if c.name == name)
        yield str(step.properties.get("cluster") or targets.default()), None, chosen
    elif step.type == "deploy":
        yield from _deployed(app, step, targets)
    elif step.type == DEPLOY2ENV:
        yield from _env(app, step, targets)


def _env(app: Application, step: Step, targets: TargetProvider) -> Iterator[Placed]:
    try:
        env = env_of(app, step)
        placements = env_placements(env, targets.infos(), targets.default())
    except VesselError:  # an unknown env is refused by the check; a placement, when the step runs
        return
    components = env_components(app.components, env)
    yield from ((p.target, p.namespace, components) for p in placements)


def _deployed(app: Application, step: Step, targets: TargetProvider) -> Iterator[Placed]:
    policies = {p.name: p for p in app.policies}
    chosen = [policies[n] for n in step.properties.get("policies", ()) if n in policies]
    components = shape(app.components, chosen)
    topologies = [(p.name, p.properties) for p in chosen if p.type == "topology"] or [("topology", EMPTY)]
    for name, properties in topologies:
        try:
            placements = place(properties, targets.infos(), targets.default(), name)
        except VesselError:  # unknown target, empty selection: the step says so when it runs
            continue
        yield from ((p.target, p.namespace, components) for p in placements)


def _undelivered(
    components: list[Component], registry: Registry, targets: TargetProvider
) -> Iterator[Render]:
    for component in components:
        definition = registry.find(Kind.COMPONENT, component.type)
        types = definition.target_types if definition is not None else ()
        target_type = KUBERNETES if not types or KUBERNETES in types else types[0]
        yield Render(targets.default(), target_type, None, (component,))
