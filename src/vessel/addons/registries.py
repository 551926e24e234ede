"""Adding, listing and removing addon registries (`vessel addon registry …`).

A registry is checked when it is added — a directory that exists, an HTTP index that answers and reads
well — so a typo is refused at once rather than found at every `addon list`.
"""

from __future__ import annotations

import re
from pathlib import Path

from vessel.addons.catalog import DIRECTORY, HTTP
from vessel.addons.http_index import read_index
from vessel.addons.metadata import NAME_PATTERN
from vessel.errors import NotFoundError, ValidationError
from vessel.store.addons import AddonStore, RegistryRecord
from vessel.store.store import Store


def add_registry(store: Store, name: str, *, path: Path | None, url: str | None, now: float) -> None:
    kind, location = _location(name, path, url)
    AddonStore(store).add_registry(name, kind, location, now)


def registries(store: Store) -> list[RegistryRecord]:
    """The registries, in the order they are searched."""
    return AddonStore(store).registries()


def remove_registry(store: Store, name: str) -> None:
    """Forget a registry (the addons enabled from it stay enabled: they are in the store)."""
    if not AddonStore(store).remove_registry(name):
        raise NotFoundError(f"addon registry {name!r} does not exist")


def _location(name: str, path: Path | None, url: str | None) -> tuple[str, str]:
    if not re.match(NAME_PATTERN, name):
        raise ValidationError(f"registry name {name!r} is not a DNS label", hint="e.g. team-addons")
    if (path is None) == (url is None):
        raise ValidationError("give one of --path DIR or --url URL")
    if url is not None:
        read_index(url)
        return HTTP, url
    assert path is not None
    if not path.is_dir():
        raise NotFoundError(f"--path {str(path)!r} is not a directory")
    return DIRECTORY, str(path.resolve())
