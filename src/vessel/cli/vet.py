"""`vessel vet FILE…`: every problem of the Applications in FILE(s) at once, each with a suggested fix.

Strict is Vessel's default — a property a definition does not declare is refused, where KubeVela ignores
it — so bringing a KubeVela file over should cost one pass, not one error per attempt. `vet` reads every
file, goes on past a document that does not read to check the others, renders every Application that
reads (for Kubernetes, as `dry-run` does: no store, nothing delivered) and prints every problem with its
file, line and field, and a suggestion where one is close (`did you mean `cpu`?`). Notes (what is read
but ignored) and the warnings of an application that opted out of strictness
(`app.vessel.dev/unknown-properties: warn`) are printed too.

Exit 0 when nothing is wrong (notes and warnings alone), 1 when something is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from vessel.cli.inputs import show_notes, show_warnings
from vessel.cli.options import Definitions
from vessel.cli.report import err, out, reporting, styled
from vessel.cli.session import installed_definitions
from vessel.controller.manifests import check_renders
from vessel.definitions.files import read_files
from vessel.definitions.registry import Registry, build_registry, directories_from_env
from vessel.definitions.unknown_properties import unknown_property_warnings
from vessel.errors import VesselError, collecting
from vessel.model.application import Application

Paths = Annotated[
    list[Path], typer.Argument(help="Application files (with their definitions, Policies, Workflows).")
]


def vet(files: Paths, definitions: Definitions = None) -> None:
    """Check Application files and report every problem at once, with suggested fixes."""
    with reporting():
        loaded, problems = read_files([str(f) for f in files], salvage=True)
        registry = build_registry(
            [*directories_from_env(), *(str(d) for d in definitions or [])],
            loaded.definitions,
            installed=installed_definitions(),
        )
    warnings: list[str] = []
    for app in loaded.applications:
        problems += _render_problems(app, registry)
        warnings += [f"{app.name}: {w}" for w in unknown_property_warnings(app, registry)]
    _report(problems)
    show_warnings(warnings)
    show_notes(loaded.all_notes())
    _summary(len(loaded.applications), len(problems), len(warnings))
    if problems:
        raise typer.Exit(1)


def _render_problems(app: Application, registry: Registry) -> list[VesselError]:
    problems: list[VesselError] = []
    with collecting(problems):
        check_renders(app, registry)
    return problems


def _report(problems: Sequence[VesselError]) -> None:
    """Each problem once, in file and line order."""
    unique = {p.render(): p for p in problems}
    ordered = sorted(
        unique.items(), key=lambda item: (item[1].location.file or "", item[1].location.line or 0)
    )
    for text, _ in ordered:
        err.print(styled("error:", "bold red", f" {text}"))


def _summary(apps: int, problems: int, warnings: int) -> None:
    counts = f"{apps} application{'s' * (apps != 1)}"
    if problems:
        out.print(Text(f"{counts}: {problems} problem{'s' * (problems != 1)}", style="red"))
    else:
        extra = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
        out.print(Text(f"{counts}: no problems{extra}"))
