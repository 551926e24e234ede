"""What definition authors ask — render one definition with given properties, vet definition files — for
`vessel def render` and `vessel def vet`, the API (`POST /api/v1/definitions/render` and `/vet`) and
the dashboard's render preview: one implementation, so all of them answer with the same documents
and the same errors.

    rendered   {"apiVersion": "v1", "kind": "List", "items": [manifest…],
                "sources": [{"source", "component", "origin"}…]}       (as a revision's manifests)
    vetted     [{"kind", "name", "origin", "line", "notes": [text…]}]  (`line`: where its document
                                                                         starts, when read from text)

A component renders as the only component of a throwaway Application, a trait on a sample
Deployment (`render/preview.py`). Vetting loads each definition (its schema and templates compiled)
and renders every component and trait with its schema's defaults for each target type it supports;
a deliberate refusal of those defaults (`fail()` in the template) is a note, not a problem. The first
problem is raised, as an error naming its file (or body) and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vessel.controller.applying import manifest_list, manifest_sources
from vessel.definitions.definition import Definition, Kind
from vessel.definitions.registry import Registry, build_registry, load_documents
from vessel.errors import RenderRefusedError
from vessel.model.yaml_source import read_text
from vessel.render.context import RenderOptions
from vessel.render.preview import SAMPLE_APP, example_properties, preview


def rendered(
    registry: Registry, definition: Definition, properties: Mapping[str, Any], target_type: str | None = None
) -> dict[str, Any]:
    """`definition` rendered with `properties` (for `target_type`; default Kubernetes)."""
    options = RenderOptions(target_type=target_type) if target_type else None
    resources = [(SAMPLE_APP, r) for r in preview(definition, properties, registry, options).resources]
    return {**manifest_list(resources), "sources": manifest_sources(resources)}


def vetted(found: Sequence[Definition]) -> list[dict[str, Any]]:
    """Each definition of `found` (already loaded) checked by rendering its defaults, with its notes."""
    registry = build_registry(documents=found, plugins=False)
    return [
        {
            "kind": d.kind.value,
            "name": d.name,
            "origin": d.origin,
            "line": None,
            "notes": [n for n in (_vet_render(d, registry, t) for t in _renderable(d)) if n],
        }
        for d in found
    ]


def vetted_text(text: str, origin: str) -> list[dict[str, Any]]:
    """The definitions of YAML `text` (every document one), loaded and vetted, each with its line."""
    docs = read_text(text, origin)
    found = load_documents(docs, origin)
    return [{**row, "line": doc.source.line_of(())} for row, doc in zip(vetted(found), docs, strict=True)]


def _renderable(d: Definition) -> tuple[str, ...]:
    return d.target_types if d.kind in (Kind.COMPONENT, Kind.TRAIT) else ()


def _vet_render(d: Definition, registry: Registry, target_type: str) -> str:
    """Render with the schema's defaults; a deliberate `fail()` is a documented refusal, not a defect."""
    try:
        preview(d, example_properties(d.parameters), registry, RenderOptions(target_type=target_type))
    except RenderRefusedError as exc:
        return f"{target_type}: refuses the defaults on purpose: {exc.message}"
    return ""
