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
from pathlib import Path
from typing import Annotated

import typer

from vessel.cli.inputs import load_inputs, show_notes, show_warnings
from vessel.cli.manifests import write_json, write_yaml
from vessel.cli.options import Definitions, Files, Format, Output
from vessel.cli.report import reporting
from vessel.controller.applying import DryRun
from vessel.controller.applying import dry_run as render_dry_run

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


def render_files(
    files: Sequence[Path], definitions: Sequence[Path] = (), namespace: str | None = None
) -> DryRun:
    """What `vessel dry-run` prints for `files`; every mistake raised."""
    loaded, registry = load_inputs(files, definitions)
    return render_dry_run(loaded, registry, namespace)
