"""Revisions: an immutable snapshot of an Application and of every definition it uses.

The digest covers the spec and the content of those definitions, so an identical re-submit creates no
revision, while a changed definition does. A revision's definitions are rebuilt from the snapshot (not
from today's registry), so rolling back re-renders exactly what that revision rendered. Rebuilt
definitions are shared between revisions by digest, in a cache bounded by entries and by the bytes of
their documents: a long-running process meets many definitions over its life.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from vessel.definitions.definition import Definition, Kind
from vessel.definitions.limits import MIB
from vessel.definitions.loader import digest, load_definition
from vessel.definitions.lru import BoundedCache
from vessel.definitions.registry import Registry
from vessel.model.application import Application
from vessel.model.frozen import thaw
from vessel.model.parse import parse_application
from vessel.model.yaml_source import Document, SourceMap
from vessel.policies.override import apply_overrides
from vessel.workflow.plan import Plan, plan_for

PYTHON_MARK = "vessel.python-definition"


@dataclass(frozen=True)
class Snapshot:
    spec: dict[str, Any]
    definitions: list[tuple[str, str, str, dict[str, Any]]]  # (digest, kind, name, document)
    digest: str
    plan: Plan


def snapshot(app: Application, registry: Registry) -> Snapshot:
    plan = plan_for(app)
    found = {(d.kind.value, d.name, d.version or ""): d for d in _used(app, registry, plan)}
    definitions = [(d.digest, kind, name, _document(d)) for (kind, name, _), d in sorted(found.items())]
    spec = thaw(app.document)
    canonical = json.dumps({"spec": spec, "definitions": [d[0] for d in definitions]}, sort_keys=True)
    return Snapshot(spec, definitions, hashlib.sha256(canonical.encode()).hexdigest(), plan)


def _used(app: Application, registry: Registry, plan: Plan) -> Iterator[Definition]:
    components = list(app.components)
    for policy in app.policies:
        if policy.type == "override":
            components += apply_overrides(app.components, policy.properties)
    for comp in components:
        yield registry.get(Kind.COMPONENT, comp.type)
        for trait in comp.traits:
            yield registry.get(Kind.TRAIT, trait.type)
    for policy in app.policies:
        yield registry.get(Kind.POLICY, policy.type)
    for step, _ in plan.all_steps():
        found = registry.find(Kind.WORKFLOW_STEP, step.type)
        if found is not None:
            yield found


def _document(definition: Definition) -> dict[str, Any]:
    if definition.document:
        return dict(thaw(definition.document))
    # Python plugin definitions carry code, not a document: the snapshot records which one it was.
    return {PYTHON_MARK: definition.origin, "kind": definition.kind.value, "name": definition.name}


DEFINITIONS: BoundedCache[Definition] = BoundedCache(1024, 32 * MIB)  # by entries, bytes of documents


def _definition(digest: str, document_json: str) -> Definition:
    def load() -> Definition:
        document = json.loads(document_json)
        where = f"snapshot {digest[:12]}"
        # It was checked, parameter schema and all, when the definition was accepted, before it was
        # snapshot: only definitions that load are ever snapshot (`snapshot`).
        doc = Document(document, SourceMap(where))
        return load_definition(doc, where, eager=False, schema_checked=True, document_checked=True)

    return DEFINITIONS.get_or_make(digest, load, lambda _: len(document_json))


def registry_from_snapshot(
    documents: list[dict[str, Any]], live: Registry | Callable[[], Registry]
) -> Registry:
    """The definitions a revision used, rebuilt from its snapshot (plugins come from `live`, or from the
    registry `live()` builds: only a snapshot naming a Python definition needs one)."""
    registry = Registry()
    for doc in documents:
        if PYTHON_MARK in doc:
            live = live if isinstance(live, Registry) else live()
            found = live.find(Kind(doc["kind"]), doc["name"])
            if found is not None:
                registry.add(found)
            continue
        registry.add(_definition(digest(doc), json.dumps(doc, sort_keys=True)))
    return registry


def application_from_snapshot(spec: dict[str, Any]) -> Application:
    return parse_application(Document(_as_delivered(spec), SourceMap(None)))


def _as_delivered(spec: dict[str, Any]) -> dict[str, Any]:
    """A revision's spec as it was delivered. A revision holds a referenced Workflow's steps written in
    (`model/references.py`), never a `workflow.ref`; one stored before Vessel read refs ran the default
    workflow (the ref was ignored then), so it is read again without the ref, to run as it ran."""
    workflow = spec.get("spec", {}).get("workflow")
    if not isinstance(workflow, dict) or "ref" not in workflow:
        return spec
    kept = {k: v for k, v in workflow.items() if k != "ref"}
    return {**spec, "spec": {**spec["spec"], "workflow": kept}}
