"""Adding, listing and removing addon registries (`vessel addon registry …`).

A registry is checked when it is added — a directory that exists, an HTTP index that answers and reads
well, a Git repository that can be fetched and has the ref (resolved then to the commit recorded) —
so a typo is refused at once rather than found at every `addon list`.
"""

from __future__ import annotations

import re
from pathlib import Path

from vessel.addons import git_registry
from vessel.addons.catalog import DIRECTORY, GIT, HTTP
from vessel.addons.http_index import read_index
from vessel.addons.metadata import NAME_PATTERN
from vessel.errors import NotFoundError, ValidationError
from vessel.store.addons import AddonStore, RegistryRecord
from vessel.store.store import Store


def add_registry(
    store: Store,
    name: str,
    *,
    path: Path | None = None,
    url: str | None = None,
    git: str | None = None,
    ref: str | None = None,
    now: float,
) -> RegistryRecord:
    """Add the registry `name` (one of `path`, `url`, or `git` with its `ref`), checked first."""
    kind, location = _location(name, path, url, git, ref)
    if kind == GIT:
        git_registry.checkout(*git_registry.split_location(location))  # written out safely, or refused
    AddonStore(store).add_registry(name, kind, location, now)
    return RegistryRecord(name, kind, location, now)


def registries(store: Store) -> list[RegistryRecord]:
    """The registries, in the order they are searched."""
    return AddonStore(store).registries()


def remove_registry(store: Store, name: str) -> None:
    """Forget a registry (the addons enabled from it stay enabled: they are in the store)."""
    if not AddonStore(store).remove_registry(name):
        raise NotFoundError(f"addon registry {name!r} does not exist")


def _location(
    name: str, path: Path | None, url: str | None, git: str | None, ref: str | None
) -> tuple[str, str]:
    if not re.match(NAME_PATTERN, name):
        raise ValidationError(f"registry name {name!r} is not a DNS label", hint="e.g. team-addons")
    if [path, url, git].count(None) != 2:
        raise ValidationError("give one of --path DIR, --url URL or --git URL --ref REF")
    if (ref is not None) != (git is not None):
        raise ValidationError(
            "--ref goes with --git (and --git needs it): the commit the registry is pinned to"
        )
    if git is not None:
        assert ref is not None
        if Path(git).is_dir():  # a local repository by its path: recorded whole, as --path is
            git = str(Path(git).resolve())
        return GIT, git_registry.location(git, git_registry.resolve(git, ref))
    if url is not None:
        read_index(url)
        return HTTP, url
    assert path is not None
    if not path.is_dir():
        raise NotFoundError(f"--path {str(path)!r} is not a directory")
    return DIRECTORY, str(path.resolve())
