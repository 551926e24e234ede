"""KubeVela's `ref-objects` component, the side that reads: a deploy resolves its selectors.

Each item of `objects` selects objects: by `resource` (and `group`) or by `apiVersion` and `kind`; by
`name` (the component's name when neither a name nor a `labelSelector` is given) or by
`labelSelector`, not both; in `namespace` (else the application's) on target `cluster` (else the
target the component is being delivered to). When a deploy delivers the component, the selected objects
are read and cleaned of what the API server wrote (`resourceVersion`, `uid`, `status`, a Service's
allocated cluster IP…), and the component is rendered with them in place of the selectors: the first is
its workload, the others its outputs (`ref-objects.yaml`). A referred object on the target it is
delivered to is adopted — naming it is the user's consent — while one another application writes stays
theirs. An object that is not there is waited for (a transient error), as KubeVela retries. `urls`
(objects fetched over HTTP) is refused: put such objects in a `k8s-objects` component.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from vessel.errors import TransientError, ValidationError
from vessel.model.application import Application, Component
from vessel.model.frozen import freeze, thaw
from vessel.model.resource_key import ResourceKey
from vessel.render.contract import CLUSTER_SCOPED
from vessel.render.ref_objects import check_selectors, cleaned, object_type, selectors
from vessel.targets.protocol import LabelListing, Target


class Targets(Protocol):
    def get(self, name: str) -> Target: ...


@dataclass(frozen=True)
class Referred:
    """The component to render (its selectors replaced by the objects) and the keys read from the
    target it is delivered to (which may be adopted)."""

    component: Component
    local_keys: frozenset[ResourceKey]


def resolve(app: Application, comp: Component, target_name: str, targets: Targets) -> Referred:
    """Read the objects `comp` (a ref-objects component being delivered to `target_name`) selects."""
    check_selectors(app, comp)
    found: list[dict[str, Any]] = []
    local: set[ResourceKey] = set()
    for path, selector in selectors(comp):
        cluster = str(selector.get("cluster") or target_name)
        objects = _select(app, comp, thaw(selector), path, targets.get(cluster))
        if cluster == target_name:
            local |= {ResourceKey.of(o) for o in objects}
        _append(found, objects)
    if not found:
        raise ValidationError(
            f"component {comp.name!r}: ref-objects selects no object", app.where((*comp.path, "properties"))
        )
    return Referred(replace(comp, properties=freeze({"objects": found})), frozenset(local))


def _select(
    app: Application, comp: Component, selector: dict[str, Any], path: tuple[Any, ...], target: Target
) -> list[dict[str, Any]]:
    labels = selector.get("labelSelector")
    api_version, kind = object_type(selector, app, path)
    namespace = "" if kind in CLUSTER_SCOPED else str(selector.get("namespace") or app.namespace)
    if labels:
        if not isinstance(target, LabelListing):
            raise ValidationError(
                "a labelSelector needs a target that lists objects by label, which this one does not",
                app.where((*path, "labelSelector")),
                hint="select the objects by name, or read them from a Kubernetes target",
            )
        objects = target.list_labelled(
            api_version, kind, namespace, {str(k): str(v) for k, v in labels.items()}
        )
    else:
        key = ResourceKey(api_version, kind, namespace, str(selector.get("name") or comp.name))
        live = target.get(key)
        if live is None:
            raise TransientError(
                f"component {comp.name!r}: the object it refers to, {key}, does not exist",
                hint="create it, or correct the ref-objects selector",
            )
        objects = [live]
    return [cleaned(o) for o in objects]


def _append(found: list[dict[str, Any]], objects: list[dict[str, Any]]) -> None:
    """Add objects, one that is already there taking its place (KubeVela's AppendUnstructuredObjects)."""
    for obj in objects:
        key = ResourceKey.of(obj)
        same = [i for i, old in enumerate(found) if ResourceKey.of(old) == key]
        if same:
            found[same[0]] = obj
        else:
            found.append(obj)
