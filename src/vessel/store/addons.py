"""The store's side of addons: registries, enabled addons with their files, and who uses them.

Enabling writes every addon of a plan (the addon and the dependencies it brings) in one transaction:
another process sees all of them or none. `users` finds the applications whose current revision uses a
definition, by the digest the revision snapshot recorded. Every change to the enabled set bumps its
`generation` in the same transaction, so a long-running process learns with one read whether the
definitions it built are still current.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vessel.errors import ConflictError
from vessel.store import schema as t
from vessel.store.store import Store


@dataclass(frozen=True)
class RegistryRecord:
    name: str
    kind: str
    location: str
    created_at: float


@dataclass(frozen=True)
class AddonRecord:
    name: str
    version: str
    registry: str
    metadata: dict[str, Any]
    parameters: dict[str, Any]
    readme: str
    application: str | None
    enabled_at: float
    files: tuple[tuple[str, str], ...] = ()  # (path, text) of its definition files


class AddonStore:
    """Addon registries and enabled addons of one store."""

    def __init__(self, store: Store):
        self.store = store

    # --- registries ------------------------------------------------------------------------------

    def add_registry(self, name: str, kind: str, location: str, now: float) -> None:
        c = t.addon_registries.c
        with self.store.write_tx() as conn:
            if conn.execute(sa.select(c.name).where(c.name == name)).first() is not None:
                raise ConflictError(
                    f"addon registry {name!r} exists already", hint="remove it first, or pick another name"
                )
            conn.execute(
                t.addon_registries.insert().values(name=name, kind=kind, location=location, created_at=now)
            )

    def registries(self) -> list[RegistryRecord]:
        c = t.addon_registries.c
        with self.store.tx() as conn:
            rows = conn.execute(sa.select(t.addon_registries).order_by(c.created_at, c.name)).all()
        return [RegistryRecord(r.name, r.kind, r.location, r.created_at) for r in rows]

    def remove_registry(self, name: str) -> bool:
        with self.store.tx() as conn:
            result = conn.execute(sa.delete(t.addon_registries).where(t.addon_registries.c.name == name))
        return bool(result.rowcount)

    # --- enabled addons --------------------------------------------------------------------------

    def enable(self, addons: Sequence[AddonRecord]) -> None:
        """Store every addon of one plan at once (replacing the same names' earlier versions)."""
        with self.store.write_tx() as conn:
            for addon in addons:
                conn.execute(sa.delete(t.addon_files).where(t.addon_files.c.addon == addon.name))
                conn.execute(sa.delete(t.addons).where(t.addons.c.name == addon.name))
                conn.execute(t.addons.insert().values(**_row(addon)))
                for path, text in addon.files:
                    conn.execute(t.addon_files.insert().values(addon=addon.name, path=path, text=text))
            _bump(conn)

    def enabled(self, *, files: bool = True) -> list[AddonRecord]:
        """The enabled addons, in the order they were enabled (dependencies before what needs them)."""
        with self.store.tx() as conn:
            rows = conn.execute(sa.select(t.addons).order_by(t.addons.c.enabled_at, t.addons.c.name)).all()
            found = _files(conn) if files else {}
        return [_record(r, found.get(r.name, ())) for r in rows]

    def disable(self, name: str) -> bool:
        with self.store.tx() as conn:
            conn.execute(sa.delete(t.addon_files).where(t.addon_files.c.addon == name))
            result = conn.execute(sa.delete(t.addons).where(t.addons.c.name == name))
            if result.rowcount:
                _bump(conn)
        return bool(result.rowcount)

    def generation(self) -> int:
        """A number that changes whenever the enabled set does (enable, upgrade, disable): one read."""
        with self.store.tx() as conn:
            found = conn.execute(_GENERATION).scalar()
        return int(found or 0)

    def users(self, digests: Iterable[str]) -> list[tuple[str, str]]:
        """(namespace, name) of every application whose current revision uses one of `digests`."""
        wanted = sorted(set(digests))
        if not wanted:
            return []
        a, rd = t.applications.c, t.revision_definitions.c
        query = (
            sa.select(a.namespace, a.name)
            .join(t.revision_definitions, sa.and_(rd.app_id == a.id, rd.number == a.revision))
            .where(rd.digest.in_(wanted))
            .distinct()
            .order_by(a.namespace, a.name)
        )
        with self.store.tx() as conn:
            return [(r.namespace, r.name) for r in conn.execute(query).all()]


_GENERATION = sa.select(t.addon_generation.c.generation).where(t.addon_generation.c.id == 1)


def _bump(conn: Any) -> None:
    c = t.addon_generation.c
    bumped = conn.execute(sa.update(t.addon_generation).where(c.id == 1).values(generation=c.generation + 1))
    if not bumped.rowcount:  # a schema made without the migration's first row
        conn.execute(t.addon_generation.insert().values(id=1, generation=1))


def _row(addon: AddonRecord) -> dict[str, Any]:
    return {
        "name": addon.name,
        "version": addon.version,
        "registry": addon.registry,
        "metadata": addon.metadata,
        "parameters": addon.parameters,
        "readme": addon.readme,
        "application": addon.application,
        "enabled_at": addon.enabled_at,
    }


def _files(conn: Any) -> dict[str, tuple[tuple[str, str], ...]]:
    c = t.addon_files.c
    found: dict[str, list[tuple[str, str]]] = {}
    for r in conn.execute(sa.select(t.addon_files).order_by(c.addon, c.path)).all():
        found.setdefault(r.addon, []).append((r.path, r.text))
    return {name: tuple(files) for name, files in found.items()}


def _record(r: Any, files: tuple[tuple[str, str], ...]) -> AddonRecord:
    return AddonRecord(
        r.name,
        r.version,
        r.registry,
        dict(r.metadata),
        dict(r.parameters),
        r.readme,
        r.application,
        r.enabled_at,
        files,
    )
