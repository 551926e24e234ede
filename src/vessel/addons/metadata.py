"""An addon's `metadata.yaml`: who it is, what it needs, where it runs.

The fields are KubeVela's addon metadata where they mean the same thing here (`name`, `version`,
`description`, `tags`, `icon`, `url`, `dependencies` with a `version` constraint, `system`), with
`system.vessel` in place of `system.vela` and `targets` (the target types its definitions render for)
in place of `deployTo`. Reading is strict: an unknown field, a wrong type, a version that is not
semver or a constraint that is not one is an error naming the file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from vessel.addons.semver import Constraint, Version, parse_constraint, parse_version
from vessel.errors import Location, ValidationError
from vessel.model.schema_check import check
from vessel.model.yaml_source import Document, Limits, read_file

METADATA_FILE = "metadata.yaml"
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_SMALL = Limits(max_bytes=64 * 1024, max_documents=1)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "version"],
    "properties": {
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "version": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "icon": {"type": "string"},
        "url": {"type": "string"},
        "dependencies": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": NAME_PATTERN},
                    "version": {"type": "string"},
                },
            },
        },
        "system": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"vessel": {"type": "string"}},
        },
        "targets": {"type": "array", "items": {"type": "string", "minLength": 1}},
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class Dependency:
    name: str
    constraint: Constraint


@dataclass(frozen=True)
class Metadata:
    name: str
    version: Version
    description: str = ""
    tags: tuple[str, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    vessel: Constraint | None = None  # the Vessel versions it supports (None: any)
    targets: tuple[str, ...] = ()  # the target types it supports (empty: any)
    icon: str = ""
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        """What `addon show -o json` prints and the store keeps, in metadata.yaml's own words."""
        return {
            "name": self.name,
            "version": str(self.version),
            "description": self.description,
            "tags": list(self.tags),
            "dependencies": [{"name": d.name, "version": str(d.constraint)} for d in self.dependencies],
            "system": {"vessel": str(self.vessel)} if self.vessel else {},
            "targets": list(self.targets),
        }


def read_metadata(root: Path) -> Metadata:
    """The metadata of the addon directory `root`, strictly."""
    path = root / METADATA_FILE
    if not path.is_file():
        raise ValidationError("an addon needs a metadata.yaml", _file(path))
    docs = read_file(str(path), _SMALL)
    if not docs:
        raise ValidationError("metadata.yaml is empty", _file(path))
    return parse_metadata(docs[0])


def parse_metadata(doc: Document) -> Metadata:
    check(doc.data, _VALIDATOR, doc.source.locate)
    data = doc.data
    return Metadata(
        name=data["name"],
        version=_version(doc, data["version"]),
        description=data.get("description", ""),
        tags=tuple(data.get("tags", ())),
        dependencies=tuple(_dependency(doc, i, d) for i, d in enumerate(data.get("dependencies", ()))),
        vessel=_constraint(doc, ("system", "vessel"), data.get("system", {}).get("vessel")),
        targets=tuple(data.get("targets", ())),
        icon=data.get("icon", ""),
        url=data.get("url", ""),
    )


def _version(doc: Document, text: str) -> Version:
    version = parse_version(text)
    if version is None:
        raise ValidationError(
            f"{text!r} is not a semver version", doc.source.locate(("version",)), hint="e.g. 1.2.0"
        )
    return version


def _dependency(doc: Document, index: int, raw: dict[str, Any]) -> Dependency:
    constraint = _constraint(doc, ("dependencies", index, "version"), raw.get("version", "*"))
    assert constraint is not None
    return Dependency(raw["name"], constraint)


def _constraint(doc: Document, path: tuple[str | int, ...], text: str | None) -> Constraint | None:
    if text is None:
        return None
    constraint = parse_constraint(text)
    if constraint is None:
        raise ValidationError(
            f"{text!r} is not a version constraint",
            doc.source.locate(path),
            hint="e.g. >=1.2.0, ^1.2, ~1.2.3, 1.x, or several joined by spaces",
        )
    return constraint


def _file(path: Path) -> Location:
    return Location(str(path))
