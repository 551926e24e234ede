"""Definition documents (YAML) to `Definition` objects, strictly."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vessel.definitions.definition import Definition, Kind, Workload
from vessel.definitions.definition_schema import DEFINITION_SCHEMA
from vessel.definitions.parameters import Parameters
from vessel.definitions.template import JinjaTemplate, StatusRules, Template
from vessel.definitions.trait_conflicts import check_rules
from vessel.errors import DefinitionError
from vessel.model.frozen import freeze
from vessel.model.schema_check import check
from vessel.model.yaml_source import Document

DEFINITION_KINDS = frozenset(k.value for k in Kind)
DESCRIPTION = "definition.oam.dev/description"
# A KubeVela type Vessel knows but will not run: the annotation says why and what to use instead, and an
# Application using it is refused at submit with that text (rather than "unknown type").
REFUSED = "definition.vessel.dev/refused"
_NEEDS_TEMPLATES = (Kind.COMPONENT, Kind.TRAIT)


def digest(document: Mapping[str, Any]) -> str:
    """A content hash of a definition document, independent of key order and formatting."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


if TYPE_CHECKING:
    import jsonschema


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema  # when a document is first checked: a revision's snapshots never are

    return jsonschema.Draft202012Validator(DEFINITION_SCHEMA)


def load_definition(
    doc: Document,
    origin: str,
    *,
    eager: bool = True,
    schema_checked: bool = False,
    document_checked: bool = False,
) -> Definition:
    """Validate one definition document and compile its schema (and, if eager, its templates).
    `schema_checked`: its parameter schema is known to be valid JSON Schema already (see `Parameters`).
    `document_checked`: the whole document passed this check already — a revision's snapshot holds only
    documents that did when their definition was accepted — so it is not checked again, and its status
    rules are compiled when first evaluated."""
    if not document_checked:
        check(doc.data, _validator(), doc.source.locate)
    data = doc.data
    kind = Kind(data["kind"])
    meta, spec = data["metadata"], data["spec"]
    name = meta["name"]
    jinja = spec["schematic"]["jinja"]
    if kind in _NEEDS_TEMPLATES and not jinja.get("templates"):
        raise DefinitionError(
            f"a {kind.value} needs at least one template",
            doc.source.locate(("spec", "schematic", "jinja", "templates")),
        )
    _check_fields_of_kind(doc, kind, spec)
    conflicts = spec.get("conflictsWith", ())
    check_rules(conflicts, lambda i: doc.source.locate(("spec", "conflictsWith", i)))
    return Definition(
        kind=kind,
        name=name,
        parameters=Parameters(
            jinja.get("parameters"),
            doc.source.locate(("spec", "schematic", "jinja", "parameters")),
            checked=schema_checked,
        ),
        templates=_templates(doc, name, jinja.get("templates", {}), eager),
        description=meta.get("annotations", {}).get(DESCRIPTION, ""),
        workload=_workload(spec.get("workload")),
        applies_to_workloads=tuple(spec.get("appliesToWorkloads", ())),
        conflicts_with=tuple(spec.get("conflictsWith", ())),
        pod_disruptive=spec.get("podDisruptive", False),
        status=_status(doc, name, spec.get("status"), eager=not document_checked),
        labels=freeze(meta.get("labels", {})),
        origin=origin,
        version=spec.get("version"),
        digest=digest(data),
        document=freeze(data),
        outputs=freeze(jinja.get("outputs", {})),
        refused=meta.get("annotations", {}).get(REFUSED, ""),
    )


# Fields only some kinds have: anywhere else they would be accepted and never used.
_FIELD_KINDS = {
    "appliesToWorkloads": (Kind.TRAIT,),
    "conflictsWith": (Kind.TRAIT,),
    "podDisruptive": (Kind.TRAIT,),
    "workload": (Kind.COMPONENT,),
    "status": (Kind.COMPONENT, Kind.TRAIT),
}
_JINJA_FIELD_KINDS = {"outputs": (Kind.WORKFLOW_STEP,)}
_JINJA = ("spec", "schematic", "jinja")


def _check_fields_of_kind(doc: Document, kind: Kind, spec: Mapping[str, Any]) -> None:
    jinja = spec["schematic"]["jinja"]
    fields: list[tuple[tuple[str, ...], str, tuple[Kind, ...], bool]]
    fields = [(("spec",), name, kinds, name in spec) for name, kinds in _FIELD_KINDS.items()]
    fields += [(_JINJA, name, kinds, name in jinja) for name, kinds in _JINJA_FIELD_KINDS.items()]
    for parent, name, kinds, present in fields:
        if present and kind not in kinds:
            dotted = ".".join((*parent, name))
            raise DefinitionError(
                f"{dotted} means nothing in a {kind.value}: only a {' or '.join(kinds)} reads it",
                doc.source.locate((*parent, name)),
                hint=f"remove {dotted}",
            )


def _templates(doc: Document, name: str, raw: Mapping[str, str], eager: bool) -> dict[str, Template]:
    out: dict[str, Template] = {}
    for target_type, text in raw.items():
        path = ("spec", "schematic", "jinja", "templates", target_type)
        template = JinjaTemplate(text, f"{name}/{target_type}", doc.source.locate(path))
        if eager:
            template.compile()
        out[target_type] = template
    return out


def _workload(raw: Mapping[str, Any] | None) -> Workload | None:
    if raw is None:
        return None
    definition = raw.get("definition", {})
    return Workload(definition.get("apiVersion"), definition.get("kind"), raw.get("type"))


def _status(doc: Document, name: str, raw: Mapping[str, str] | None, *, eager: bool) -> StatusRules | None:
    if not raw:
        return None
    where = doc.source.locate(("spec", "status"))
    return StatusRules(raw.get("healthPolicy"), raw.get("customStatus"), where, name, eager=eager)
