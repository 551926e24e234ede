"""Delivery: render components for one placement, record them, apply them, judge their health.

Health is the component's as a whole — its workload and every trait (`render.health.judge_component`).
The workload's inventory entry records the component's status basis (the parameters, context and traits
its rules see), so the steady-state loop and `vessel status` judge it later exactly as delivery did.

The order is what makes crashes harmless: each object is recorded in the inventory (`applying`) before
it is applied and marked `applied` after, so whatever a crash interrupts is known and re-applied (applies
are idempotent, by deterministic name; the `applied` mark rides with the store's next transaction, so a
crash that loses it is a crash just after the apply). An apply the target *refuses* (TargetRejectedError:
it wrote nothing) releases that claim at once — a new entry is forgotten, a known one put back as it
was — so a refused object never keeps its name from another application, nor shows as this one's.
Another application's object is never overwritten. What a target did beyond writing an object (restarting a
crashed replica, sweeping orphans) is an event.

Resource policies (`vessel.policies.resources`) shape each apply: `read-only` objects are only read
(recorded `reading`); an object another application writes is only read (recorded `sharing`) if both
share it (`shared-resource`); an existing object no application writes is adopted only with `take-over`;
`apply-once` keeps drift (the whole object once applied, or the listed field paths); `resource-update`
deletes and re-creates an object this application applied when one of its `recreateFields` changes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import jinja2

from vessel.definitions.expressions import EvaluationFailed, checked_data, expression
from vessel.definitions.limits import DEFAULT_LIMITS
from vessel.definitions.registry import Registry
from vessel.definitions.target_reads import TargetReads
from vessel.errors import (
    ConflictError,
    OverCapError,
    TargetRejectedError,
    TransientError,
    ValidationError,
    VesselError,
)
from vessel.model.application import Application, Component
from vessel.model.frozen import freeze, thaw
from vessel.model.graph import dependencies, topological_order
from vessel.model.parse import parse_application
from vessel.model.paths import set_dotted
from vessel.model.resource_key import ResourceKey
from vessel.model.yaml_source import Document, SourceMap
from vessel.policies.replication import shape
from vessel.policies.resources import (
    ON_UPDATE,
    WHOLE_OBJECT,
    ResourcePolicies,
    keep_live_fields,
    needs_recreate,
)
from vessel.policies.topology import Placement, place
from vessel.render.component import RenderedComponent, render_component
from vessel.render.context import ClusterVersion, RenderOptions
from vessel.render.health import ComponentHealth, TraitHealth, judge_component
from vessel.render.ref_objects import unresolved
from vessel.render.resource import WORKLOAD, Resource
from vessel.store.records import EntryState, InventoryEntry
from vessel.store.store import Store
from vessel.targets.protocol import (
    APP_LABEL,
    APP_NAMESPACE_LABEL,
    ClusterReading,
    Target,
    TargetInfo,
    Versioned,
    live_version_of,
)
from vessel.workflow.diagnosis import Diagnosis, diagnose, failed_job
from vessel.workflow.ref_objects import resolve


class TargetProvider(Protocol):
    """The registered targets. `default` is the default now (new revisions record it); `refresh` reads
    the registry again at the next use (the controller calls it once per pass)."""

    def get(self, name: str) -> Target: ...

    def infos(self) -> list[TargetInfo]: ...

    def default(self) -> str: ...

    def render_type(self, name: str) -> str: ...

    def refresh(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ComponentReport:
    component: str
    target: str
    healthy: bool
    message: str  # healthy: its status message; else why not, naming each unhealthy trait
    failing: str = ""  # why it is failing (crash loop, cannot start…), rather than not ready yet
    cause: str = ""  # the latest reason it is not ready, from its instances
    traits: tuple[TraitHealth, ...] = ()


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Delivery:
    """The services built-in steps use to deliver one revision of one application.

    `default_target` is where "no topology" places this revision: the default recorded with it when it
    was made, not the default now — so changing the default never moves what is already delivered."""

    store: Store
    targets: TargetProvider
    app_id: int
    app: Application
    registry: Registry
    revision: int
    now: float
    default_target: str
    source_dir: str | None = None  # where the Application file was applied from (local processes' scripts)
    # objects ref-objects components read from the target they are delivered to: adopted when applied
    _referred: set[tuple[str, ResourceKey]] = field(default_factory=set, init=False)

    def target_or_default(self, cluster: str | None) -> str:
        """A step's `cluster`, else this revision's default target."""
        return cluster or self.default_target

    def placements(self, policy_names: Sequence[str]) -> list[tuple[Placement, tuple[Component, ...]]]:
        """Where to deliver and which components (after overrides and replication), for a deploy step's
        policies."""
        policies = {p.name: p for p in self.app.policies}
        missing = [n for n in policy_names if n not in policies]
        if missing:
            raise ConflictError(
                f"deploy: unknown policy {', '.join(missing)}", hint=f"known: {', '.join(policies) or 'none'}"
            )
        chosen = [policies[n] for n in policy_names]
        components = shape(self.app.components, chosen)
        topologies = [p for p in chosen if p.type == "topology"]
        infos, default = self.targets.infos(), self.default_target
        if not topologies:
            return [(p, components) for p in place({}, infos, default)]
        return [(p, components) for t in topologies for p in place(t.properties, infos, default, t.name)]

    def deliver(
        self, components: Sequence[Component], placement: Placement, values: Mapping[str, Any]
    ) -> tuple[list[ComponentReport], dict[str, Any]]:
        """Apply every component whose dependencies are healthy; report health; publish outputs."""
        target = self.targets.get(placement.target)
        app = replace(self.app, components=tuple(components))
        options = RenderOptions(
            target_type=self.targets.render_type(placement.target),
            revision=self.revision,
            namespace=placement.namespace,
            cluster_version=_cluster_version(target),
            target=placement.target,
            reads=cluster_reads(target, placement.target),
        )
        reports: dict[str, ComponentReport] = {}
        published: dict[str, Any] = {}
        made: dict[ResourceKey, str] = {}  # what each copy of a component rendered, by object
        for comp in _dependency_order(components):
            waiting = _waiting_for(comp, components, reports)
            if waiting:
                reports[comp.instance] = ComponentReport(
                    comp.instance, placement.target, False, f"waiting for {', '.join(waiting)}"
                )
                continue
            comp = _with_inputs(comp, {**values, **published})
            if unresolved(comp):
                referred = resolve(app, comp, placement.target, self.targets)
                comp = referred.component
                self._referred |= {(placement.target, key) for key in referred.local_keys}
            rendered = render_component(app, comp, self.registry, options, DEFAULT_LIMITS)
            _check_copies(comp, rendered, made)
            workload, outputs = self._apply_all(target, placement.target, comp.instance, rendered)
            health = judge_component(
                self.registry, rendered.status_basis, workload, outputs, live_state=target.live_state
            )
            report = _report(comp.instance, placement.target, health)
            if health.healthy:
                published.update(_component_outputs(comp, workload, outputs))
            elif target.live_state:
                found = _diagnose(target, rendered.resources[0].key)
                failing = failed_job(outputs.values()) or found.failing
                report = replace(report, failing=failing, cause=found.cause)
            reports[comp.instance] = report
        return list(reports.values()), published

    def _apply_all(
        self, target: Target, target_name: str, instance: str, rendered: RenderedComponent
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply the workload (recorded with its status basis) and its outputs, in the inventory under
        `instance` (the component, or `name@key` for a replica); the live workload and the live outputs
        by name."""
        basis = rendered.status_basis.to_json()
        workload, *rest = rendered.resources
        live = self._apply(target, target_name, instance, workload, basis)
        outputs = [(r.output, self._apply(target, target_name, instance, r)) for r in rest]
        return live, {name: obj for name, obj in outputs if name}

    @functools.cached_property
    def rules(self) -> ResourcePolicies:
        return ResourcePolicies(self.app.policies)

    def _apply(
        self,
        target: Target,
        target_name: str,
        component: str,
        resource: Resource,
        status_basis: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record, apply, mark applied — as the resource policies allow; the live object afterwards."""
        key, body, rules = resource.key, resource.body, self.rules
        where = f"{key} on target {target_name!r}"
        entry = InventoryEntry(
            target_name,
            key,
            component,
            self.revision,
            EntryState.APPLYING,
            manifest_digest(body),
            body,
            "" if resource.resource_type == WORKLOAD else (resource.output or ""),
            status_basis,
        )
        others = self.store.holders(target_name, key)
        known = others.pop(self.app_id, None)
        if policy := rules.read_only(body):
            live = target.get(key)
            if live is None:
                raise TransientError(
                    f"{where} does not exist; the read-only policy {policy!r} only reads it",
                    hint="create it, or stop selecting it in the policy",
                )
            self._remember(known, replace(entry, state=EntryState.READING))
            return live
        writer = next((a for a, e in others.items() if e.state in EntryState.WRITING), None)
        if writer is not None:  # another application writes it: share it (read it) or refuse
            self._check_sharing(writer, others[writer], where, body)
            live = target.get(key)
            if live is None:
                raise TransientError(f"{where} is not there yet; the application sharing it creates it")
            self._remember(known, replace(entry, state=EntryState.SHARING))
            return live
        live = None
        if known is None or known.state == EntryState.READING:
            live = target.get(key)  # new to this application: it must not silently adopt an object
            shared = any(e.state == EntryState.SHARING for e in others.values())
            referred = (target_name, key) in self._referred
            if live is not None and not referred and not self._may_adopt(live, shared, body):
                raise ConflictError(
                    f"{where} already exists and {_unclaimed(live)}",
                    hint="to adopt it, add a take-over policy selecting it, e.g. rules: "
                    f"[{{selector: {{resourceTypes: [{key.kind}], resourceNames: [{key.name}]}}}}]",
                )
        applied = replace(entry, state=EntryState.APPLIED)
        paths = rules.apply_once_paths(body, ON_UPDATE)
        unchanged = known is not None and known.state == EntryState.APPLIED and known.digest == entry.digest
        if paths is not None or (rules.apply_once_all and unchanged):
            live = live if live is not None else target.get(key)
            if live is not None and (paths is None or WHOLE_OBJECT in paths):
                self._remember(known, _at(applied, target, live))  # applied once already: drift stays
                return live
        manifest = body if live is None or not paths else keep_live_fields(body, live, paths)
        if known is not None and (fields := rules.recreate_fields(body)):
            self._recreate_if_changed(target, key, where, manifest, fields)
        claimed = known is None or (known.digest, known.revision) != (entry.digest, entry.revision)
        if claimed:
            self.store.record(self.app_id, entry, self.now)
        try:
            result = target.apply(manifest, source_dir=self.source_dir, applied=unchanged)
        except TargetRejectedError:
            if claimed:
                self._release(known, entry)
            raise
        applied = _at(applied, target, result.live)
        if known is None or _recorded(known) != _recorded(applied):
            self.store.mark_applied(self.app_id, applied, self.now)  # with the next write: see Store
        for action in result.actions:  # a restart, an orphan swept: as the steady-state loop tells them
            kind = "Warning" if action.warning else "Normal"
            message = f"{component} on {target_name}: {action.message}"
            self.store.add_event(self.app_id, kind, action.reason, message, self.now)
        return result.live

    def _recreate_if_changed(
        self, target: Target, key: ResourceKey, where: str, manifest: Mapping[str, Any], fields: Sequence[str]
    ) -> None:
        """KubeVela's recreateFields: when the live object differs from `manifest` at one of `fields`
        (fields a cluster will not change in place, like a Job's template), delete it so the apply
        creates it anew. An object still going away is waited for (a transient error: the step retries),
        so the apply never lands on an object being deleted."""
        live = target.get(key)
        changed = needs_recreate(live, manifest, fields) if live is not None else []
        if not changed:
            return
        target.delete(key)
        message = f"{where}: {', '.join(changed)} changed; deleted to be re-created (resource-update)"
        self.store.add_event(self.app_id, "Normal", "Recreating", message, self.now)
        if target.get(key) is not None:
            raise TransientError(f"{where} is being deleted to be re-created; waiting for it to go")

    def apply_object(self, target_name: str, component: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply one object that belongs to no component (`apply-object`), recorded, checked against
        other applications and the resource policies, and released if refused, as a component's are."""
        return self._apply(self.targets.get(target_name), target_name, component, Resource(component, body))

    def _release(self, known: InventoryEntry | None, claim: InventoryEntry) -> None:
        """The target refused the object (TargetRejectedError: it wrote nothing), so the claim recorded
        before applying goes: a new entry is forgotten — the name is free for any application — and a
        known one is put back as it was, since the object still is what that entry says."""
        if known is None:
            self.store.forget(self.app_id, claim.target, claim.key)
        else:
            self.store.record(self.app_id, known, self.now)

    def _remember(self, known: InventoryEntry | None, entry: InventoryEntry) -> None:
        """Record `entry` unless the inventory already says exactly that (steady deploys write nothing)."""
        if known is None or _recorded(known) != _recorded(entry):
            self.store.record(self.app_id, entry, self.now)

    def _may_adopt(self, live: Mapping[str, Any], shared: bool, body: Mapping[str, Any]) -> bool:
        """An existing object no application writes may be adopted if take-over selects it, if it
        carries this application's own labels (left behind, e.g. orphaned on delete), or if other
        applications share it (its writer has gone) and this one shares it too."""
        labels = (live.get("metadata") or {}).get("labels") or {}
        ours = (
            labels.get(APP_LABEL) == self.app.name and labels.get(APP_NAMESPACE_LABEL) == self.app.namespace
        )
        return ours or (shared and self.rules.shared(body)) or self.rules.take_over(body)

    def _check_sharing(self, writer: int, held: InventoryEntry, where: str, body: Mapping[str, Any]) -> None:
        """Both applications must share the object (KubeVela: the owner has to allow it too)."""
        other = self.store.app_by_id(writer)
        name = f"{other.namespace}/{other.name}"
        if not self.rules.shared(body):
            raise ConflictError(
                f"{where} belongs to application {name}",
                hint="remove it there first, or let both share it with a shared-resource policy",
            )
        spec = self.store.revision(other.id, other.revision).spec
        theirs = ResourcePolicies(parse_application(Document(spec, SourceMap(None))).policies)
        if not theirs.shared(held.manifest):
            raise ConflictError(
                f"{where} belongs to application {name}, which does not share it",
                hint=f"add a shared-resource policy selecting it to {name} too",
            )


def _unclaimed(live: Mapping[str, Any]) -> str:
    """What an existing object no application's inventory holds is, as far as its labels tell."""
    labels = (live.get("metadata") or {}).get("labels") or {}
    app, namespace = labels.get(APP_LABEL), labels.get(APP_NAMESPACE_LABEL)
    if not app:
        return "belongs to no Vessel application"
    return (
        f"carries the labels of application {namespace or '?'}/{app}, whose inventory does not hold it "
        "(left in place by a delete, or delivered from another store)"
    )


def _recorded(entry: InventoryEntry) -> tuple[Any, ...]:
    """What decides whether an entry must be written again."""
    return entry.state, entry.digest, entry.revision, entry.status_basis, entry.live_version


def _at(entry: InventoryEntry, target: Target, live: Mapping[str, Any]) -> InventoryEntry:
    """The entry with the live version its object was applied at, on a target that versions objects:
    the steady state skips the object while it stays at that version (`controller/steady.py`)."""
    return replace(entry, live_version=live_version_of(live) if isinstance(target, Versioned) else None)


def _report(component: str, target: str, health: ComponentHealth) -> ComponentReport:
    message = health.workload.message if health.healthy else health.problem
    return ComponentReport(component, target, health.healthy, message, traits=health.traits)


def _diagnose(target: Target, key: ResourceKey) -> Diagnosis:
    """Why the workload is unhealthy, from its instances; nothing when they cannot be listed now (the
    component is then just waited for, as before)."""
    try:
        return diagnose(target.instances(key))
    except VesselError:
        return Diagnosis()


class _ClusterReader:
    """A cluster target as a render's `ObjectReader`."""

    def __init__(self, target: ClusterReading):
        self.target = target

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        return self.target.read_cluster_object(key)


def cluster_reads(target: Target, name: str) -> TargetReads:
    """What a render for `target` may read: its cluster, when it has one."""
    return TargetReads(name, _ClusterReader(target) if isinstance(target, ClusterReading) else None)


def _cluster_version(target: Target) -> ClusterVersion:
    """The version the target reports (templates pick API versions by it), else the default."""
    version = target.cluster_version()
    if version is None:
        return ClusterVersion()
    try:
        return ClusterVersion.parse(version)
    except ValueError:
        raise TargetRejectedError(
            f"target {target.info.name!r} reports version {version!r}, which is not a Kubernetes version"
        ) from None


def _dependency_order(components: Sequence[Component]) -> list[Component]:
    """Dependencies first; the copies of a replicated component together, in their keys' order."""
    edges = {c.name: set(dependencies(c, components)) for c in components}
    return [c for n in topological_order(edges) for c in components if c.name == n]


def _waiting_for(
    comp: Component, components: Sequence[Component], reports: Mapping[str, ComponentReport]
) -> list[str]:
    """The dependencies of `comp` not healthy yet. A replica waits for the copy of its dependency with
    its own key when there is one (KubeVela's rule), else for every copy of it."""
    waiting = []
    for name in dependencies(comp, components):
        copies = [c for c in components if c.name == name]
        same = [c for c in copies if c.replica_key == comp.replica_key] or copies
        waiting += [c.instance for c in same if not (c.instance in reports and reports[c.instance].healthy)]
    return waiting


def _check_copies(comp: Component, rendered: RenderedComponent, made: dict[ResourceKey, str]) -> None:
    """Two copies of a replicated component must not make one object: the last would silently win."""
    for resource in rendered.resources:
        first = made.setdefault(resource.key, comp.instance)
        if first != comp.instance:
            raise ValidationError(
                f"{resource.key} is rendered by both {first} and {comp.instance}",
                hint=f"the definition of {comp.type!r} must name its objects with context.replicaKey to "
                "be replicated",
            )


def _with_inputs(comp: Component, values: Mapping[str, Any]) -> Component:
    if not comp.inputs:
        return comp
    props = thaw(comp.properties)
    for inp in comp.inputs:
        if inp.source in values and inp.parameter_key:
            set_dotted(props, inp.parameter_key, values[inp.source])
    return replace(comp, properties=freeze(props))


def _component_outputs(
    comp: Component, workload: Mapping[str, Any], outputs: Mapping[str, Any]
) -> dict[str, Any]:
    published: dict[str, Any] = {}
    for out in comp.outputs:
        try:
            value = expression(out.value_from).evaluate({"output": workload, "outputs": outputs})
            published[out.name] = None if isinstance(value, jinja2.Undefined) else checked_data(value)
        except EvaluationFailed as exc:
            error = OverCapError if exc.over_cap else VesselError
            raise error(
                f"component {comp.name!r} output {out.name!r}: cannot evaluate {out.value_from!r}: {exc}"
            ) from None
        except Exception as exc:  # an author's expression must not crash delivery
            raise VesselError(
                f"component {comp.name!r} output {out.name!r}: cannot evaluate {out.value_from!r}: {exc}"
            ) from None
    return published
