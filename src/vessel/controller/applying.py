"""What `vessel up`, `vessel dry-run` and the API's apply and dry-run do with Applications once they are
read: place them in the namespace asked for, check that every component renders for where it lands,
and render a dry run. One implementation, so the CLI and the server accept and refuse exactly the same
input with the same messages (DESIGN.md: cli | api → controller).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.controller.manifests import Manifests, check_renders
from vessel.controller.manifests import dry_run as render_dry_run
from vessel.definitions.files import LoadedFiles
from vessel.definitions.registry import Registry
from vessel.definitions.unknown_properties import unknown_property_warnings
from vessel.errors import ValidationError
from vessel.model.application import Application
from vessel.model.kube_names import dns_label
from vessel.render.ref_objects import unresolved
from vessel.render.resource import Resource
from vessel.workflow.delivery import TargetProvider


def placed_in(app: Application, namespace: str | None, option: str = "--namespace") -> Application:
    """`app` in `namespace` (`-n`, whatever the file says), or as it is when none was given; `option`
    names where the namespace came from, in the error."""
    if namespace is None:
        return app
    problem = dns_label(namespace)
    if problem:
        raise ValidationError(f"{option}: {problem}")
    return app.in_namespace(namespace)


def applications(
    loaded: LoadedFiles, namespace: str | None, option: str = "--namespace"
) -> list[Application]:
    """The Applications read, placed in `namespace`; none at all is an error."""
    if not loaded.applications:
        raise ValidationError("no Application found in the given files", hint="add a kind: Application")
    return [placed_in(app, namespace, option) for app in loaded.applications]


def warnings_for(apps: Sequence[Application], registry: Registry) -> list[str]:
    """The unknown properties each application tolerates, each with its application's name."""
    return [f"{a.name}: {w}" for a in apps for w in unknown_property_warnings(a, registry)]


def check_all(apps: Sequence[Application], registry: Registry, targets: TargetProvider) -> None:
    """Every mistake of every application, for the targets each component will be delivered to, raised
    before anything is stored."""
    for app in apps:
        check_renders(app, registry, targets)


@dataclass(frozen=True)
class DryRun:
    manifests: Manifests  # (source, resource) pairs, as printed
    notes: list[str]  # what was read but ignored
    warnings: list[str]  # unknown properties an application tolerates, each with its application


def dry_run(
    loaded: LoadedFiles, registry: Registry, namespace: str | None = None, option: str = "--namespace"
) -> DryRun:
    """Every Application of `loaded` rendered for Kubernetes at each placement; every mistake raised."""
    rendered: Manifests = []
    warnings: list[str] = []
    notes = loaded.all_notes()
    for app in applications(loaded, namespace, option):
        check_renders(app, registry)
        rendered += render_dry_run(app, registry)
        warnings += warnings_for([app], registry)
        notes += [
            f"{app.name}: component {c.name} is ref-objects: its objects are read from the target when a "
            "deploy delivers it, so they are not shown here"
            for c in app.components
            if unresolved(c)
        ]
    return DryRun(rendered, notes, warnings)


def manifest_list(resources: Iterable[tuple[str, Resource]]) -> dict[str, Any]:
    """Rendered resources as one Kubernetes `List` (what `dry-run -o json` prints and the API returns)."""
    return {"apiVersion": "v1", "kind": "List", "items": [res.body for _, res in resources]}


def manifest_sources(resources: Iterable[tuple[str, Resource]]) -> list[dict[str, str]]:
    """Where each item of `manifest_list` came from, in its order: what the YAML view heads each
    document with (the application and target, the component, the template), for a remote client."""
    return [{"source": source, "component": res.component, "origin": res.origin} for source, res in resources]
