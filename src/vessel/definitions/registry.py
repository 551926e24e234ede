"""Where definitions come from, and which one wins.

Sources, lowest precedence first: the built-ins shipped in this package, Python entry points
(`vessel.definitions`), the enabled addons' definitions (read from the store by `vessel.addons`, handed in
here as `installed`), directories (`--definitions DIR`, `VESSEL_DEFINITIONS`), and definitions in the
Application files themselves. A later source replaces an earlier definition of the same kind and name,
so a platform team can override a built-in; two definitions of one name in the same source are an error.

Versions (`model/versioned_type.py`): a definition with `spec.version` is also found as `NAME@vVERSION`,
whatever else is installed, and several versions of one name may sit in one source. `NAME` alone is the
newest version: a versioned definition never replaces a newer version of itself (an unversioned one
replaces whatever was there, as before).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from vessel.definitions.definition import Definition, Kind
from vessel.definitions.loader import DEFINITION_KINDS, load_definition
from vessel.errors import DefinitionError, Location, UnknownTypeError, Where
from vessel.model.suggest import did_you_mean
from vessel.model.versioned_type import MARK, split_type, version_key
from vessel.model.yaml_source import Document, read_file, read_text

ENTRY_POINT_GROUP = "vessel.definitions"
ENV_DIRECTORIES = "VESSEL_DEFINITIONS"


class Registry:
    """Definitions by kind and name."""

    def __init__(self, definitions: Iterable[Definition] = ()):
        self._defs: dict[Kind, dict[str, Definition]] = {kind: {} for kind in Kind}
        self._versions: dict[Kind, dict[tuple[str, str], Definition]] = {kind: {} for kind in Kind}
        self.extend(definitions)

    def add(self, definition: Definition) -> None:
        kind, name, version = definition.kind, definition.name, definition.version
        if version is not None:
            self._versions[kind][(name, version)] = definition
        current = self._defs[kind].get(name)
        if not _is_older(definition, current):
            self._defs[kind][name] = definition

    def extend(self, definitions: Iterable[Definition]) -> None:
        for definition in definitions:
            self.add(definition)

    def find(self, kind: Kind, name: str) -> Definition | None:
        """The definition `name` means: `NAME` (the newest) or `NAME@vVERSION` (that version)."""
        plain, version = split_type(name)
        if version is None:
            return self._defs[kind].get(name)
        return self._versions[kind].get((plain, version))

    def get(self, kind: Kind, name: str, where: Where | None = None) -> Definition:
        found = self.find(kind, name)
        if found is None and split_type(name)[1] is not None:
            raise self._unknown_version(kind, name, where)
        if found is None:
            known = ", ".join(sorted(self._defs[kind])) or "none"
            guess = did_you_mean(name, self._defs[kind])
            raise UnknownTypeError(f"unknown {kind.noun} type {name!r}{guess}", where, hint=f"known: {known}")
        return found

    def _unknown_version(self, kind: Kind, name: str, where: Where | None) -> UnknownTypeError:
        plain, _ = split_type(name)
        have = sorted((v for n, v in self._versions[kind] if n == plain), key=version_key)
        known = ", ".join(f"{plain}{MARK}{v}" for v in have)
        hint = f"versions installed: {known}" if have else f"no version of {plain!r} is installed"
        return UnknownTypeError(f"unknown {kind.noun} type version {name!r}", where, hint=hint)

    def all(self, kind: Kind | None = None) -> list[Definition]:
        kinds = [kind] if kind else list(Kind)
        return [d for k in kinds for _, d in sorted(self._defs[k].items())]


def _is_older(new: Definition, current: Definition | None) -> bool:
    """Whether `new` is a version older than the one `current` is (then it does not take the plain name)."""
    if current is None or new.version is None or current.version is None:
        return False
    return version_key(new.version) < version_key(current.version)


def _unique(definitions: list[Definition], source: str) -> list[Definition]:
    seen: dict[tuple[Kind, str, str | None], str] = {}
    for d in definitions:
        key = (d.kind, d.name, d.version)
        if key in seen:
            version = f" version {d.version}" if d.version else ""
            raise DefinitionError(
                f"{d.kind.value} {d.name!r}{version} is defined twice in {source}",
                Location(d.origin),
                hint=f"first in {seen[key]}",
            )
        seen[key] = d.origin
    return definitions


def load_path(path: str | Path, *, eager: bool = True) -> list[Definition]:
    """Every definition in a YAML file, or in the *.yaml/*.yml files of a directory (recursively)."""
    root = Path(path)
    if not root.exists():
        raise DefinitionError("definitions path does not exist", Location(str(root)))
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")) if root.is_dir() else [root]
    found = [d for file in files for d in load_documents(read_file(str(file)), str(file), eager=eager)]
    return _unique(found, str(root))


def load_documents(docs: Iterable[Document], origin: str, *, eager: bool = True) -> list[Definition]:
    """The definition each document holds, in order (a document of another kind is an error): a file's
    (`load_path`) or a request body's (`vet` through a server)."""
    found: list[Definition] = []
    for doc in docs:
        if doc.kind not in DEFINITION_KINDS:
            raise DefinitionError(
                f"expected a definition kind, got {doc.kind!r}",
                doc.source.locate(("kind",)),
                hint=f"one of {', '.join(sorted(DEFINITION_KINDS))}",
            )
        found.append(load_definition(doc, origin, eager=eager))
    return found


@functools.cache
def builtin_definitions() -> tuple[Definition, ...]:
    """The definitions shipped with Vessel (parsed once per process, templates compiled on first use;
    their parameter schemas are checked by the test suite, not at every start: see `Parameters`)."""
    found: list[Definition] = []
    root = resources.files("vessel.definitions") / "builtin"
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not folder.is_dir():
            continue
        for file in sorted(folder.iterdir(), key=lambda p: p.name):
            if file.name.endswith(".yaml"):
                origin = f"builtin/{folder.name}/{file.name}"
                for doc in read_text(file.read_text(encoding="utf-8"), origin):
                    found.append(load_definition(doc, origin, eager=False, schema_checked=True))
    return tuple(_unique(found, "the built-in definitions"))


def entry_point_definitions() -> list[Definition]:
    """Definitions that installed plugins register under the `vessel.definitions` entry point group.

    An entry point may name a Definition, an iterable of them, a path to YAML files, or a callable
    returning any of those.
    """
    found: list[Definition] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            provided = ep.load()
        except Exception as exc:
            raise DefinitionError(f"cannot load plugin entry point {ep.name!r}: {exc}") from exc
        found.extend(_from_plugin(provided, f"entry point {ep.name}"))
    return _unique(found, "plugins")


def _from_plugin(provided: Any, origin: str) -> list[Definition]:
    if callable(provided) and not isinstance(provided, Definition):
        provided = provided()
    if isinstance(provided, Definition):
        return [provided]
    if isinstance(provided, str | Path):
        return load_path(provided)
    if isinstance(provided, Iterable):
        return [d for item in provided for d in _from_plugin(item, origin)]
    raise DefinitionError(f"plugin {origin} provided {type(provided).__name__}, not definitions")


def directories_from_env() -> list[str]:
    raw = os.environ.get(ENV_DIRECTORIES, "")
    return [p for p in raw.split(os.pathsep) if p]


def build_registry(
    directories: Iterable[str | Path] = (),
    documents: Iterable[Definition] = (),
    *,
    plugins: bool = True,
    installed: Iterable[Definition] = (),
) -> Registry:
    """The registry for one command: built-ins, plugins, enabled addons (`installed`), directories, then
    the app's own definitions."""
    registry = Registry(builtin_definitions())
    if plugins:
        registry.extend(entry_point_definitions())
    registry.extend(_unique(list(installed), "the enabled addons"))
    for directory in directories:
        registry.extend(load_path(directory))
    registry.extend(_unique(list(documents), "the application files"))
    return registry
