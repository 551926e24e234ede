"""`vessel dry-run`: render Applications to manifests without delivering anything.

Topology and override policies apply as delivery would apply them: each deploy step's placements are
rendered with their overrides and namespace. Target names come from the policies themselves (and, for
label selectors, from the targets registered in the store, if there is one).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from vessel.cli.inputs import load_inputs
from vessel.cli.manifests import write_json, write_yaml
from vessel.cli.options import Definitions, Files, Format, Output
from vessel.cli.report import reporting
from vessel.definitions.registry import Registry
from vessel.errors import ValidationError
from vessel.model.application import Application
from vessel.render.application import render_application
from vessel.render.component import render_component
from vessel.render.context import RenderOptions
from vessel.render.resource import Resource
from vessel.store.connect import default_url
from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo
from vessel.workflow.preview import previews


@dataclass(frozen=True)
class _Named:
    name: str
    labels: dict[str, str] = field(default_factory=dict)


def dry_run(files: Files, definitions: Definitions = None, output: Output = Format.yaml) -> None:
    """Render every component of every Application and print the resources, one per document."""
    with reporting():
        loaded, registry = load_inputs(files, definitions or [])
        if not loaded.applications:
            raise ValidationError("no Application found in the given files", hint="add a kind: Application")
        rendered: list[tuple[str, Resource]] = []
        targets, default = _registered_targets()
        for app in loaded.applications:
            render_application(app, registry)  # every mistake, reported before anything is printed
            rendered += _render_placements(app, registry, targets, default)
    (write_json if output == Format.json else write_yaml)(rendered, sys.stdout)


def _render_placements(
    app: Application,
    registry: Registry,
    targets: list[_Named],
    default: str | None,
) -> list[tuple[str, Resource]]:
    named = {t.name for t in targets}
    for policy in app.policies:  # names a policy mentions count as targets: dry-run needs no registration
        targets += [_Named(n) for n in policy.properties.get("clusters", ()) if n not in named]
    out: list[tuple[str, Resource]] = []
    for preview in previews(app, targets, default or "local"):
        variant = replace(app, components=preview.components)
        placement = preview.placement
        options = RenderOptions(
            namespace=placement.namespace if placement else None,
            target=placement.target if placement else "local",
        )
        where = f" @ {placement.target}" if placement and preview.step else ""
        for comp in variant.components:
            for res in render_component(variant, comp, registry, options).resources:
                out.append((f"{app.name}{where}", res))
    return out


def _registered_targets() -> tuple[list[_Named], str | None]:
    """Targets from the store when one exists; dry-run never creates one."""
    url = default_url() if os.environ.get("VESSEL_DATABASE_URL") else _existing_sqlite()
    if url is None:
        return [], None
    store = Store.open(url)
    try:
        records: list[tuple[TargetInfo, bool]] = store.targets()
    finally:
        store.close()
    default = next((info.name for info, is_default in records if is_default), None)
    return [_Named(info.name, dict(info.labels)) for info, _ in records], default


def _existing_sqlite() -> str | None:
    home = Path(os.environ.get("VESSEL_HOME", Path.home() / ".vessel"))
    db = home / "vessel.db"
    return f"sqlite:///{db}" if db.exists() else None
