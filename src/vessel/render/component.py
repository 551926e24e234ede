"""Rendering one component: its definition's output, then each trait's patch and outputs, in order.

Pure: the same component, definitions and options give the same resources, byte for byte. What comes out
is checked against Kubernetes' rules for the common fields (`object_rules.py`) whatever the target type,
so no target is handed an object a cluster would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vessel.definitions import trait_conflicts
from vessel.definitions.definition import Definition, Kind
from vessel.definitions.limits import DEFAULT_LIMITS, RenderLimits
from vessel.definitions.registry import Registry
from vessel.definitions.target_reads import ReadingTemplate, TargetReads
from vessel.definitions.template import Template
from vessel.errors import (
    RenderError,
    TraitNotApplicableError,
    VesselError,
    Where,
    collecting,
    combined,
)
from vessel.model.application import Application, Component, Trait
from vessel.model.paths import format_path
from vessel.render import object_rules
from vessel.render.context import RenderOptions, app_namespace, base_context
from vessel.render.contract import common_labels, stamp
from vessel.render.merge_patch import json_merge_patch, json_patch
from vessel.render.resource import AUXILIARY, TRAIT, Resource
from vessel.render.status_basis import StatusBasis
from vessel.render.strategic_merge import DEFAULT_MERGE_KEYS, strategic_merge

COMPONENT_RESULT_KEYS = frozenset({"output", "outputs"})
TRAIT_RESULT_KEYS = frozenset({"patch", "patchStrategy", "patchKeys", "patchOutputs", "outputs"})
PATCH_STRATEGIES = ("strategic", "jsonPatch", "jsonMergePatch")


@dataclass(frozen=True)
class RenderedComponent:
    """A component's resources: the workload first, then outputs in the order they were produced; and
    what its templates saw (`parameter`, `context`, each trait's type and parameters)."""

    name: str
    definition: Definition
    parameter: dict[str, Any]
    resources: tuple[Resource, ...]
    context: dict[str, Any] = field(default_factory=dict)
    traits: tuple[tuple[str, dict[str, Any]], ...] = ()

    @property
    def workload(self) -> Resource:
        return self.resources[0]

    @property
    def status_basis(self) -> StatusBasis:
        """What its status rules and its traits' see besides live objects (see `status_basis`)."""
        owners = {r.output: r.trait or AUXILIARY for r in self.resources[1:] if r.output}
        return StatusBasis.of(self.definition.name, self.parameter, self.context, owners, self.traits)


@dataclass
class _Work:
    output: dict[str, Any]
    outputs: dict[str, Resource]  # name -> resource, component outputs then trait outputs
    traits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # type, resolved parameters


def render_component(
    app: Application,
    component: Component,
    registry: Registry,
    options: RenderOptions | None = None,
    limits: RenderLimits = DEFAULT_LIMITS,
) -> RenderedComponent:
    options = options or RenderOptions()
    definition = registry.get(Kind.COMPONENT, component.type, app.where((*component.path, "type")))
    _check_trait_conflicts(app, component, registry)
    parameter = _resolve_or_report_all(app, component, definition, registry)
    context = base_context(app, component, options)
    where = app.where(component.path)
    result = _render(
        _template(definition, options, where),
        parameter,
        context,
        limits,
        where,
        f"component {component.name!r}",
        options.reads,
    )
    _check_keys(result, COMPONENT_RESULT_KEYS, definition, where)
    work = _Work(_object(result.get("output"), "output", definition, where), {})
    for name, body in _named_objects(result.get("outputs"), definition, where).items():
        work.outputs[name] = Resource(component.name, body, TRAIT, AUXILIARY, name)
    for trait in component.traits:
        _apply_trait(app, component, definition, trait, registry, options, limits, context, work)
    resources = _stamped(app, component, options, work)
    return RenderedComponent(component.name, definition, parameter, resources, context, tuple(work.traits))


def _check_trait_conflicts(app: Application, component: Component, registry: Registry) -> None:
    found = {t.type: registry.find(Kind.TRAIT, t.type) for t in component.traits}
    trait_conflicts.check_component(app, component, {k: d for k, d in found.items() if d is not None})


def _resolve_or_report_all(
    app: Application, component: Component, definition: Definition, registry: Registry
) -> dict[str, Any]:
    """The component's parameters; if they are wrong, its traits' properties are checked too, so one
    run reports every property mistake of the component."""
    problems: list[VesselError] = []
    try:
        return definition.parameters.resolve(
            component.properties,
            app.locator((*component.path, "properties")),
            drop_unknown=app.tolerates_unknown,
        )
    except VesselError as exc:
        problems.append(exc)
    for trait in component.traits:
        with collecting(problems):
            trait_def = registry.get(Kind.TRAIT, trait.type, app.where((*trait.path, "type")))
            trait_def.parameters.resolve(
                trait.properties, app.locator((*trait.path, "properties")), drop_unknown=app.tolerates_unknown
            )
    raise combined(problems)


# Trait patches are written against the pod-template shape (spec.replicas, spec.template.spec.containers),
# which local objects share: a trait without a rendering of its own for a target type uses this one.
TRAIT_FALLBACK = "kubernetes"


def _template(
    definition: Definition, options: RenderOptions, where: Where, fallback: str | None = None
) -> Template:
    template = definition.templates.get(options.target_type)
    if template is None and fallback is not None:
        template = definition.templates.get(fallback)
    if template is None:
        has = ", ".join(definition.templates) or "none"
        raise RenderError(
            f"{definition.kind.noun} type {definition.name!r} has no rendering for target type "
            f"{options.target_type!r} (it has: {has})",
            where,
        )
    return template


def _render(
    template: Template,
    parameter: dict[str, Any],
    context: dict[str, Any],
    limits: RenderLimits,
    where: Where,
    what: str,
    reads: TargetReads | None = None,
) -> dict[str, Any]:
    variables = {"parameter": parameter, "context": context}
    try:
        if isinstance(template, ReadingTemplate):
            return template.render_reading(variables, limits, reads)
        return template.render(variables, limits)
    except RenderError as exc:
        raise type(exc)(f"{what}: {exc.message} [template at {exc.location}]", where, exc.hint) from None


def _check_keys(
    result: Mapping[str, Any], allowed: frozenset[str], definition: Definition, where: Where
) -> None:
    unknown = sorted(set(result) - allowed)
    if unknown:
        raise RenderError(
            f"{definition.kind.noun} {definition.name!r} template produced unknown key(s) "
            f"{', '.join(unknown)}; expected {', '.join(sorted(allowed))}",
            where,
        )


def _object(value: Any, what: str, definition: Definition, where: Where) -> dict[str, Any]:
    if not isinstance(value, dict) or not value.get("apiVersion") or not value.get("kind"):
        raise RenderError(
            f"{definition.name!r} template must produce `{what}` as an object with apiVersion and kind", where
        )
    return value


def _named_objects(value: Any, definition: Definition, where: Where) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RenderError(
            f"{definition.name!r} template must produce `outputs` as a mapping of name to object", where
        )
    return {name: _object(body, f"outputs.{name}", definition, where) for name, body in value.items()}


def _apply_trait(
    app: Application,
    component: Component,
    workload_def: Definition,
    trait: Trait,
    registry: Registry,
    options: RenderOptions,
    limits: RenderLimits,
    context: dict[str, Any],
    work: _Work,
) -> None:
    where = app.where(trait.path)
    definition = registry.get(Kind.TRAIT, trait.type, app.where((*trait.path, "type")))
    _check_applies(definition, workload_def, work.output, component, where)
    parameter = definition.parameters.resolve(
        trait.properties, app.locator((*trait.path, "properties")), drop_unknown=app.tolerates_unknown
    )
    work.traits.append((trait.type, parameter))
    trait_context = {
        **context,
        "output": work.output,
        "outputs": {name: r.body for name, r in work.outputs.items()},
    }
    what = f"component {component.name!r} trait {trait.type!r}"
    template = _template(definition, options, where, TRAIT_FALLBACK)
    result = _render(template, parameter, trait_context, limits, where, what)
    _check_keys(result, TRAIT_RESULT_KEYS, definition, where)
    work.output = _patched(work.output, result, what, where)
    for name, patch in (result.get("patchOutputs") or {}).items():
        if name in work.outputs:
            old = work.outputs[name]
            body = strategic_merge(old.body, patch, _merge_keys(result))
            work.outputs[name] = Resource(old.component, body, old.resource_type, old.trait, old.output)
    for name, body in _named_objects(result.get("outputs"), definition, where).items():
        _add_trait_output(work, Resource(component.name, body, TRAIT, trait.type, name), result)


def _add_trait_output(work: _Work, made: Resource, result: Mapping[str, Any]) -> None:
    """A trait output naming an object the component already outputs under another name (a `gateway`'s
    Service beside `webservice`'s exposed one) is merged into it, the trait's fields winning, and is the
    trait's from then on (its labels, its output name, which its status rules read): one object, as
    KubeVela's cluster ends up with after applying the component's and then the trait's."""
    assert made.output is not None
    same = next((n for n, r in work.outputs.items() if n != made.output and r.key == made.key), None)
    if same is None:
        work.outputs[made.output] = made
        return
    body = strategic_merge(work.outputs[same].body, made.body, _merge_keys(result))
    merged = Resource(made.component, body, made.resource_type, made.trait, made.output)
    work.outputs = {
        made.output if n == same else n: merged if n == same else r for n, r in work.outputs.items()
    }


def _merge_keys(result: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    extra = result.get("patchKeys") or {}
    if not extra:
        return DEFAULT_MERGE_KEYS
    return {**DEFAULT_MERGE_KEYS, **{k: (v,) if isinstance(v, str) else tuple(v) for k, v in extra.items()}}


def _patched(output: dict[str, Any], result: Mapping[str, Any], what: str, where: Where) -> dict[str, Any]:
    if "patch" not in result or result["patch"] is None:
        return output
    strategy = result.get("patchStrategy", "strategic")
    patch = result["patch"]
    if strategy == "jsonPatch":
        patched = json_patch(output, patch, what, where)
    elif strategy == "jsonMergePatch":
        patched = json_merge_patch(output, patch)
    elif strategy == "strategic":
        patched = strategic_merge(output, patch, _merge_keys(result))
    else:
        raise RenderError(
            f"{what}: unknown patchStrategy {strategy!r}; expected one of {', '.join(PATCH_STRATEGIES)}",
            where,
        )
    if not isinstance(patched, dict) or not patched.get("apiVersion") or not patched.get("kind"):
        raise RenderError(f"{what}: the patch removed the workload's apiVersion or kind", where)
    return patched


AUTODETECT = "autodetects.core.oam.dev"


def workload_type(definition: Definition, output: Mapping[str, Any]) -> str:
    """KubeVela's workload type string (`deployments.apps`): the definition's, unless it leaves it to
    autodetection (`autodetects.core.oam.dev`), then the rendered output's."""
    declared = definition.workload.type if definition.workload else None
    if declared and declared != AUTODETECT:
        return declared
    return output_type(output)


def output_type(output: Mapping[str, Any]) -> str:
    """The workload type string of a rendered object: plural kind, dot, API group (`cronjobs.batch`)."""
    group = str(output.get("apiVersion", "")).rpartition("/")[0]
    plural = _plural(str(output.get("kind", "")).lower())
    return f"{plural}.{group}" if group else plural


def _plural(kind: str) -> str:
    if kind.endswith(("s", "x", "ch", "sh")):
        return kind + "es"
    if kind.endswith("y") and kind[-2:-1] not in "aeiou":
        return kind[:-1] + "ies"
    return kind + "s"


def _check_applies(
    trait: Definition,
    workload_def: Definition,
    output: Mapping[str, Any],
    component: Component,
    where: Where,
) -> None:
    allowed = trait.applies_to_workloads
    if not allowed or "*" in allowed:
        return
    wtype = workload_type(workload_def, output)
    names = {workload_def.name, wtype, f"{output.get('apiVersion')}.{output.get('kind')}"}
    if names & set(allowed):
        return
    raise TraitNotApplicableError(
        f"trait {trait.name!r} does not apply to component {component.name!r} of type "
        f"{workload_def.name!r} (a {wtype} workload); it applies to: {', '.join(allowed)}",
        where,
        hint="attach it to a component whose workload it applies to, or remove it",
    )


def _stamped(
    app: Application, component: Component, options: RenderOptions, work: _Work
) -> tuple[Resource, ...]:
    namespace = app_namespace(app, options)
    revision = f"{app.name}-v{options.revision}"
    labels = common_labels(app.name, namespace, revision, component.name, app.labels, component.replica_key)
    made = (Resource(component.name, work.output), *work.outputs.values())
    _check_objects(app, component, made, object_rules.shape_problems)
    stamped = tuple(stamp(r, labels, app.annotations, namespace, component.type) for r in made)
    _check_objects(app, component, stamped, object_rules.problems)
    return stamped


def _check_objects(
    app: Application,
    component: Component,
    resources: tuple[Resource, ...],
    rules: Callable[[Mapping[str, Any]], list[object_rules.Problem]],
) -> None:
    found = [
        RenderError(
            f"component {component.name!r}: {_described(r)}: {format_path(path)}: {problem}",
            app.where(component.path),
            hint="Kubernetes would refuse it",
        )
        for r in resources
        for path, problem in rules(r.body)
    ]
    if found:
        raise combined(found)


def _described(resource: Resource) -> str:
    meta = resource.body.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return f"{resource.origin} ({resource.body.get('kind')} {name!r})"
