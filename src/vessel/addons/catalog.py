"""What the registries offer: every addon name, its versions, and where each one is.

A registry is a source of addon directories. Three kinds: `directory`, a folder holding addon
directories, either one per addon (`DIR/redis/metadata.yaml`) or one per version
(`DIR/redis/1.2.0/metadata.yaml`); `git`, a repository laid out the same way, read at one pinned commit
(`addons/git_registry.py`); and `http`, an index of checksummed archives (`addons/http_index.py`). Each
only produces (name, version) → directory entries, so resolution and enabling do not depend on the kind.
When two registries offer the same name and version, the one added first wins. The addons shipped with
Vessel (`bindings`, `postgresql`, `redis`) come from the directory registry `builtin`, searched last.

A registry entry that cannot be read is not hidden: it is listed among the catalog's problems, named
by file and field, and `vessel addon list` shows them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vessel.addons.git_registry import checkout, split_location
from vessel.addons.http_index import fetch_archive, read_index
from vessel.addons.metadata import METADATA_FILE, Metadata, read_metadata
from vessel.addons.package import AddonPackage, read_package
from vessel.addons.semver import Constraint, newest, parse_version
from vessel.errors import NotFoundError, ValidationError, VesselError
from vessel.store.addons import RegistryRecord

DIRECTORY = "directory"
HTTP = "http"
GIT = "git"
KINDS = (DIRECTORY, GIT, HTTP)
BUILTIN = RegistryRecord("builtin", DIRECTORY, str(Path(__file__).parent / "builtin"), 0.0)


class Entry:
    """One version of one addon on offer. A directory registry's entry has its metadata read already; an
    HTTP index's is fetched, verified and unpacked the first time its metadata or path is asked for
    (when resolution chooses it), so listing never downloads an archive."""

    def __init__(
        self,
        name: str,
        version: str,
        registry: str,
        description: str,
        *,
        path: Path | None = None,
        metadata: Metadata | None = None,
        fetch: Callable[[], Path] | None = None,
    ):
        self.name, self.version, self.registry, self.description = name, version, registry, description
        self._path, self._metadata, self._fetch = path, metadata, fetch

    @property
    def path(self) -> Path:
        if self._path is None:
            assert self._fetch is not None
            self._path = self._fetch()
        return self._path

    @property
    def metadata(self) -> Metadata:
        if self._metadata is None:
            metadata = read_metadata(self.path)
            if (metadata.name, str(metadata.version)) != (self.name, self.version):
                raise ValidationError(
                    f"registry {self.registry} lists {self.name}@{self.version}, but its archive holds "
                    f"{metadata.name}@{metadata.version}",
                    hint="the index and the archive disagree; ask the registry's owner",
                )
            self._metadata = metadata
        return self._metadata

    def sort_key(self) -> Any:
        parsed = parse_version(self.version)
        return parsed.key() if parsed else ()


@dataclass
class Catalog:
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)  # name -> version -> entry
    problems: list[VesselError] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.entries.setdefault(entry.name, {}).setdefault(entry.version, entry)

    def versions(self, name: str) -> list[str]:
        """The versions of `name` on offer, newest first."""
        found = self.entries.get(name, {})
        return sorted(found, key=lambda v: found[v].sort_key(), reverse=True)

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
            what = (
                f"{wanted_by} needs addon {name} {constraint}, and"
                if wanted_by
                else f"addon {name} {constraint}:"
            )
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
    """What the registries offer, then the addons shipped inside Vessel (registry `builtin`, always there,
    searched last: a registry offering the same name and version wins)."""
    found = Catalog()
    for registry in [*registries, BUILTIN]:
        try:
            entries = (
                _http_entries(registry) if registry.kind == HTTP else _directory_entries(registry, found)
            )
        except VesselError as exc:
            found.problems.append(VesselError(f"addon registry {registry.name}: {exc}"))
            continue
        for entry in entries:
            found.add(entry)
    return found


def _directory_entries(registry: RegistryRecord, found: Catalog) -> list[Entry]:
    root = checkout(*split_location(registry.location)) if registry.kind == GIT else Path(registry.location)
    entries = []
    for path in _addon_dirs(root, found):
        try:
            metadata = read_metadata(path)
        except VesselError as exc:
            found.problems.append(exc)
            continue
        name, version = metadata.name, str(metadata.version)
        entries.append(
            Entry(name, version, registry.name, metadata.description, path=path, metadata=metadata)
        )
    return entries


def _http_entries(registry: RegistryRecord) -> list[Entry]:
    return [
        Entry(name, version, registry.name, description, fetch=functools.partial(fetch_archive, url, sha256))
        for name, version, description, url, sha256 in read_index(registry.location)
    ]


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
