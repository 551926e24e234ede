"""An addon directory, read whole and checked before anything is enabled.

    metadata.yaml            name, version, dependencies… (`addons/metadata.py`)
    definitions/*.yaml       Vessel definitions (the same files `--definitions DIR` reads)
    parameters.schema.json   JSON Schema of the addon's parameters (absent: it takes none)
    application.yaml         optional: an Application template, rendered with the parameters in the
                             definitions' sandbox, and delivered as `addon-NAME`
    README.md                optional: what `vessel addon show` prints

Anything else at the top level is refused rather than ignored (a `resources/` folder or a CUE
`template.cue` from a KubeVela addon would otherwise be silently dropped). An addon is data: its files
are read as text with caps on their number and size, and its definitions are loaded — schemas checked,
templates compiled — so a broken one is refused here, naming the file and field, not at first use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vessel.addons.metadata import METADATA_FILE, Metadata, read_metadata
from vessel.definitions.definition import Definition
from vessel.definitions.loader import DEFINITION_KINDS, load_definition
from vessel.definitions.parameters import Parameters
from vessel.errors import Location, ValidationError
from vessel.model.yaml_source import read_text

DEFINITIONS_DIR = "definitions"
PARAMETERS_FILE = "parameters.schema.json"
APPLICATION_FILE = "application.yaml"
README_FILE = "README.md"
KNOWN = {METADATA_FILE, DEFINITIONS_DIR, PARAMETERS_FILE, APPLICATION_FILE, README_FILE}
MAX_FILES = 256
MAX_FILE_BYTES = 1024 * 1024
_NOT_YET = {
    "resources": "put the objects in application.yaml, in a k8s-objects component",
    "template.cue": "CUE is not read by Vessel: write application.yaml (Jinja2) instead",
    "template.yaml": "rename it application.yaml",
    "parameter.cue": "CUE is not read by Vessel: write parameters.schema.json (JSON Schema) instead",
}


@dataclass(frozen=True)
class AddonFile:
    path: str  # relative to the addon directory, with `/`
    text: str


@dataclass(frozen=True)
class AddonPackage:
    """An addon as enabling it needs it: everything read, nothing on disk referred to later."""

    metadata: Metadata
    definition_files: tuple[AddonFile, ...]
    parameters_schema: dict[str, Any]
    application: AddonFile | None
    readme: str

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return str(self.metadata.version)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def parameters(self) -> Parameters:
        return Parameters(self.parameters_schema, Location(f"{self.label}/{PARAMETERS_FILE}"), checked=True)

    def definitions(self) -> list[Definition]:
        return definitions_of(self.label, self.definition_files)


def definitions_of(label: str, files: tuple[AddonFile, ...], *, eager: bool = True) -> list[Definition]:
    """The definitions in an addon's definition files; `origin` names the addon and the file."""
    found: list[Definition] = []
    for file in files:
        origin = f"addon {label}: {file.path}"
        for doc in read_text(file.text, origin):
            if doc.kind not in DEFINITION_KINDS:
                raise ValidationError(
                    f"expected a definition kind, got {doc.kind!r}",
                    doc.source.locate(("kind",)),
                    hint=f"one of {', '.join(sorted(DEFINITION_KINDS))}",
                )
            found.append(load_definition(doc, origin, eager=eager))
    return found


def read_package(root: Path) -> AddonPackage:
    """Read and check the addon directory `root`."""
    _check_entries(root)
    metadata = read_metadata(root)
    package = AddonPackage(
        metadata=metadata,
        definition_files=tuple(_definition_files(root)),
        parameters_schema=_parameters_schema(root / PARAMETERS_FILE),
        application=_optional(root, APPLICATION_FILE),
        readme=(_optional(root, README_FILE) or AddonFile(README_FILE, "")).text,
    )
    package.definitions()  # every definition loads, templates compile: refused now, not at first use
    return package


def _check_entries(root: Path) -> None:
    if not root.is_dir():
        raise ValidationError("addon directory does not exist", Location(str(root)))
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in KNOWN:
            continue
        hint = _NOT_YET.get(entry.name, f"an addon holds only {', '.join(sorted(KNOWN))}")
        raise ValidationError(
            f"{entry.name!r} is not part of the addon format", Location(str(entry)), hint=hint
        )
    files = [p for p in root.rglob("*") if not p.is_dir()]
    if len(files) > MAX_FILES:
        raise ValidationError(f"more than {MAX_FILES} files in the addon", Location(str(root)))
    for file in files:
        if file.is_symlink():
            raise ValidationError("an addon may not hold symbolic links", Location(str(file)))


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(f"file is larger than {MAX_FILE_BYTES} bytes", Location(str(path)))
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not UTF-8 text (byte {exc.start})", Location(str(path))) from None


def _optional(root: Path, name: str) -> AddonFile | None:
    path = root / name
    return AddonFile(name, _read(path)) if path.is_file() else None


def _definition_files(root: Path) -> list[AddonFile]:
    folder = root / DEFINITIONS_DIR
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(root).as_posix()
        if path.suffix not in (".yaml", ".yml"):
            hint = (
                "CUE definitions are not read by Vessel: write a Jinja2 definition"
                if path.suffix == ".cue"
                else None
            )
            raise ValidationError("a definition file must be .yaml or .yml", Location(str(path)), hint=hint)
        found.append(AddonFile(relative, _read(path)))
    return found


def _parameters_schema(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"type": "object", "properties": {}}
    try:
        schema = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not JSON: {exc.msg}", Location(str(path), exc.lineno)) from None
    if not isinstance(schema, dict):
        raise ValidationError("a parameters schema must be a JSON object", Location(str(path)))
    Parameters(schema, Location(str(path)))  # a valid JSON Schema (draft 2020-12), or a DefinitionError
    return schema
