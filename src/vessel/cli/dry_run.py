"""`vessel dry-run`: render Applications to manifests without delivering anything.

Topology and override policies apply as delivery would apply them: each deploy step's placements are
rendered with their overrides and namespace, for Kubernetes (`controller.manifests.dry_run`). Target
names come from the policies themselves (and, for label selectors, from the targets registered in the
store, if there is one). `-n NS` renders the Applications into NS whatever their files say, as `vela
dry-run -n` does (a topology policy's own namespace still wins for its placements).

Each object is headed by KubeVela's comment line, `# Application(NAME with topology T) -- Component(C)`,
followed by Vessel's detail (which template made it, which target): see `cli/manifests.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from vessel.cli.inputs import load_inputs, placed_in, show_notes, show_warnings
from vessel.cli.manifests import write_json, write_yaml
from vessel.cli.options import Definitions, Files, Format, Output
from vessel.cli.report import reporting
from vessel.controller.manifests import Manifests, check_renders
from vessel.controller.manifests import dry_run as render_dry_run
from vessel.definitions.unknown_properties import unknown_property_warnings
from vessel.errors import ValidationError
from vessel.render.ref_objects import unresolved

IntoNamespace = Annotated[
    str | None,
    typer.Option("-n", "--namespace", help="Render into this namespace, whatever the file's metadata says."),
]


def dry_run(
    files: Files,
    definitions: Definitions = None,
    output: Output = Format.yaml,
    namespace: IntoNamespace = None,
) -> None:
    """Render every component of every Application and print the resources, one per document."""
    with reporting():
        result = render_files(files, definitions or [], namespace)
    show_notes(result.notes)
    show_warnings(result.warnings)
    (write_json if output == Format.json else write_yaml)(result.manifests, sys.stdout)


@dataclass(frozen=True)
class DryRun:
    manifests: Manifests  # (source, resource) pairs, as printed
    notes: list[str]  # what was read but ignored
    warnings: list[str]  # unknown properties an application tolerates, each with its application


def render_files(
    files: Sequence[Path], definitions: Sequence[Path] = (), namespace: str | None = None
) -> DryRun:
    """What `vessel dry-run` prints for `files`; every mistake raised."""
    loaded, registry = load_inputs(files, definitions)
    if not loaded.applications:
        raise ValidationError("no Application found in the given files", hint="add a kind: Application")
    rendered: Manifests = []
    warnings: list[str] = []
    notes = loaded.all_notes()
    for app in (placed_in(a, namespace) for a in loaded.applications):
        check_renders(app, registry)
        rendered += render_dry_run(app, registry)
        warnings += [f"{app.name}: {w}" for w in unknown_property_warnings(app, registry)]
        notes += [
            f"{app.name}: component {c.name} is ref-objects: its objects are read from the target when a "
            "deploy delivers it, so they are not shown here"
            for c in app.components
            if unresolved(c)
        ]
    return DryRun(rendered, notes, warnings)
