"""`vessel dry-run`: render Applications to manifests without delivering anything.

Topology and override policies apply as delivery would apply them: each deploy step's placements are
rendered with their overrides and namespace, for Kubernetes (`controller.manifests.dry_run`). Target
names come from the policies themselves (and, for label selectors, from the targets registered in the
store, if there is one). `-n NS` renders the Applications into NS whatever their files say, as `vela
dry-run -n` does (a topology policy's own namespace still wins for its placements).

Each object is headed by KubeVela's comment line, `# Application(NAME with topology T) -- Component(C)`,
followed by Vessel's detail (which template made it, which target): see `cli/manifests.py`.

With a server configured, the server renders them with its definitions (and those in `--definitions`,
sent with the files), and this prints what it answers: the same documents.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vessel.cli.backend import remote
from vessel.cli.manifests import Rendered, items, write_json, write_yaml
from vessel.cli.notes import show_notes, show_warnings
from vessel.cli.options import Definitions, Files, Format, Output
from vessel.cli.report import reporting

if TYPE_CHECKING:
    from vessel.controller.applying import DryRun

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
        notes, warnings, manifests = _rendered(files, definitions or [], namespace)
    show_notes(notes)
    show_warnings(warnings)
    (write_json if output == Format.json else write_yaml)(manifests, sys.stdout)


def _rendered(
    files: Sequence[Path], definitions: Sequence[Path], namespace: str | None
) -> tuple[list[str], list[str], Sequence[tuple[str, Rendered]]]:
    """The notes, the warnings and the resources: rendered here, or by the server."""
    server = remote()
    if server is None:
        result = render_files(files, definitions, namespace)
        return list(result.notes), list(result.warnings), result.manifests
    from vessel.cli.remote import in_files
    from vessel.cli.remote_client import files_body

    body = files_body(files, definitions)
    answer: dict[str, Any] = server.dry_run(body, namespace)
    notes = [in_files(n, body) for n in answer.get("notes", [])]
    return notes, [in_files(w, body) for w in answer.get("warnings", [])], items(answer)


def render_files(
    files: Sequence[Path], definitions: Sequence[Path] = (), namespace: str | None = None
) -> DryRun:
    """What `vessel dry-run` prints for `files`; every mistake raised."""
    from vessel.cli.inputs import load_inputs
    from vessel.controller.applying import dry_run as render_dry_run

    loaded, registry = load_inputs(files, definitions)
    return render_dry_run(loaded, registry, namespace)
