"""Reading the user's files: Applications and the definitions that travel with them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vessel.definitions.definition import Definition
from vessel.definitions.loader import DEFINITION_KINDS, load_definition
from vessel.errors import ValidationError, VesselError, collecting, raise_collected
from vessel.model.application import Application
from vessel.model.parse import parse_application
from vessel.model.schema_check import show
from vessel.model.yaml_source import read_file


@dataclass(frozen=True)
class LoadedFiles:
    applications: tuple[Application, ...]
    definitions: tuple[Definition, ...]


def load_files(paths: Iterable[str]) -> LoadedFiles:
    """Parse every document of every file; report every bad document, not just the first."""
    apps: list[Application] = []
    defs: list[Definition] = []
    problems: list[VesselError] = []
    for path in paths:
        for doc in read_file(path):
            with collecting(problems):
                if doc.kind == "Application":
                    apps.append(parse_application(doc))
                elif doc.kind in DEFINITION_KINDS:
                    defs.append(load_definition(doc, path))
                else:
                    raise ValidationError(
                        f"unsupported kind {show(_raw_kind(doc.data))}",
                        doc.source.locate(("kind",)),
                        hint="expected Application or a definition kind",
                    )
    raise_collected(problems)
    _check_unique_apps(apps)
    return LoadedFiles(tuple(apps), tuple(defs))


def _raw_kind(data: object) -> object:
    return data.get("kind") if isinstance(data, dict) else None


def _check_unique_apps(apps: list[Application]) -> None:
    seen: set[tuple[str, str]] = set()
    for app in apps:
        key = (app.namespace, app.name)
        if key in seen:
            raise ValidationError(f"application {app.name!r} appears twice", app.locate(("metadata", "name")))
        seen.add(key)
