"""What the registries offer: every addon name, its versions, and where each one is.

A registry is a source of addon directories. Today there is one kind, `directory`: a folder holding
addon directories, either one per addon (`DIR/redis/metadata.yaml`) or one per version
(`DIR/redis/1.2.0/metadata.yaml`). An HTTP index and a Git repository are the next kinds; each only has
to produce the same (name, version) → directory entries, so resolution and enabling do not change.
When two registries offer the same name and version, the one added first wins.

A registry entry that cannot be read is not hidden: it is listed among the catalog's problems, named
by file and field, and `vessel addon list` shows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vessel.addons.metadata import METADATA_FILE, Metadata, read_metadata
from vessel.addons.package import AddonPackage, read_package
from vessel.addons.semver import Constraint, newest
from vessel.errors import NotFoundError, ValidationError, VesselError
from vessel.store.addons import RegistryRecord

DIRECTORY = "directory"
KINDS = (DIRECTORY,)


@dataclass(frozen=True)
class Entry:
    metadata: Metadata
    registry: str
    path: Path


@dataclass
class Catalog:
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)  # name -> version -> entry
    problems: list[VesselError] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        versions = self.entries.setdefault(entry.metadata.name, {})
        versions.setdefault(str(entry.metadata.version), entry)

    def versions(self, name: str) -> list[str]:
        """The versions of `name` on offer, newest first."""
        found = self.entries.get(name, {})
        return sorted(found, key=lambda v: found[v].metadata.version.key(), reverse=True)

    def choose(self, name: str, constraint: Constraint, wanted_by: str) -> Entry:
        """The newest version of `name` that `constraint` allows, or an error saying what there is."""
        have = self.versions(name)
        if not have:
            what = f"{wanted_by} needs addon {name!r}, which" if wanted_by else f"addon {name!r}:"
            raise NotFoundError(
                f"{what} no registry has it" if not wanted_by else f"{what} no registry has",
                hint="add a registry that has it: vessel addon registry add NAME --path DIR",
            )
        chosen = newest(have, constraint)
        if chosen is None:
            what = f"{wanted_by} needs addon {name} {constraint}, and" if wanted_by else f"addon {name} {constraint}:"
            raise NotFoundError(
                f"{what} no registry has such a version",
                hint=f"versions available: {', '.join(have)}",
            )
        return self.entries[name][chosen]

    def package(self, entry: Entry) -> AddonPackage:
        package = read_package(entry.path)
        if package.metadata != entry.metadata:  # changed under us since the catalog was read
            raise ValidationError(f"addon {package.label} changed while it was being read")
        return package


def catalog(registries: Iterable[RegistryRecord]) -> Catalog:
    found = Catalog()
    for registry in registries:
        for path in _addon_dirs(Path(registry.location), found):
            try:
                found.add(Entry(read_metadata(path), registry.name, path))
            except VesselError as exc:
                found.problems.append(exc)
    return found


def _addon_dirs(root: Path, found: Catalog) -> list[Path]:
    if not root.is_dir():
        found.problems.append(NotFoundError(f"addon registry folder {str(root)!r} does not exist"))
        return []
    dirs = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (child / METADATA_FILE).is_file():
            dirs.append(child)
            continue
        dirs.extend(sorted(g for g in child.iterdir() if (g / METADATA_FILE).is_file()))
    return dirs
