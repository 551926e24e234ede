"""`vessel dry-run`: render Applications to manifests without delivering anything."""

from __future__ import annotations

import sys

from vessel.cli.inputs import load_inputs
from vessel.cli.manifests import write_json, write_yaml
from vessel.cli.options import Definitions, Files, Format, Output
from vessel.cli.report import reporting
from vessel.errors import ValidationError
from vessel.render.application import render_application
from vessel.render.resource import Resource


def dry_run(files: Files, definitions: Definitions = None, output: Output = Format.yaml) -> None:
    """Render every component of every Application and print the resources, one per document."""
    with reporting():
        loaded, registry = load_inputs(files, definitions or [])
        if not loaded.applications:
            raise ValidationError("no Application found in the given files", hint="add a kind: Application")
        rendered: list[tuple[str, Resource]] = []
        for app in loaded.applications:
            for comp in render_application(app, registry):
                rendered.extend((app.name, res) for res in comp.resources)
    (write_json if output == Format.json else write_yaml)(rendered, sys.stdout)
