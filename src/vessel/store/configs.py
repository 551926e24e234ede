"""Configs: named sets of values per namespace, what KubeVela's config steps create, read, list, delete.

KubeVela keeps each config as a labelled Secret in the control-plane cluster. Vessel also delivers
where there is no cluster, so configs live in the store, one row per (namespace, name), with the
template they were made from — `list-config` filters on it, and a config cannot change template (as in
KubeVela: delete it first). A config's values may be secrets (a registry password, a token): they are
stored whole, because the steps that read them need them so, and this process remembers each value it
writes or reads (`redaction.remember_leaves`), so no message, event or printed document shows one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vessel.errors import ConflictError
from vessel.model.redaction import remember_leaves
from vessel.store import schema as t
from vessel.store.store import Store


@dataclass(frozen=True)
class ConfigRecord:
    namespace: str
    name: str
    template: str
    config: dict[str, Any]
    created_at: float
    updated_at: float


class Configs:
    """The configs of one store."""

    def __init__(self, store: Store):
        self.store = store

    def put(self, namespace: str, name: str, template: str, config: dict[str, Any], now: float) -> bool:
        """Create or update a config; True if it was created. A config keeps the template it was made
        with: another one is a ConflictError naming both."""
        remember_leaves(config)
        c = t.configs.c
        with self.store.write_tx() as conn:
            row = conn.execute(sa.select(c.template).where(c.namespace == namespace, c.name == name)).first()
            if row is None:
                values = {"template": template, "config": config, "created_at": now, "updated_at": now}
                conn.execute(t.configs.insert().values(namespace=namespace, name=name, **values))
                return True
            if row.template != template:
                raise ConflictError(
                    f"config {namespace}/{name} was created from template {row.template or '(none)'!r}, "
                    f"not {template or '(none)'!r}",
                    hint="a config keeps its template: delete it first (delete-config), or use another name",
                )
            conn.execute(
                sa.update(t.configs)
                .where(c.namespace == namespace, c.name == name)
                .values(config=config, updated_at=now)
            )
            return False

    def get(self, namespace: str, name: str) -> ConfigRecord | None:
        c = t.configs.c
        with self.store.tx() as conn:
            row = conn.execute(sa.select(t.configs).where(c.namespace == namespace, c.name == name)).first()
        return None if row is None else _record(row)

    def list(self, namespace: str, template: str | None = None) -> list[ConfigRecord]:
        """The configs of `namespace` (made from `template`, if given), by name."""
        c = t.configs.c
        query = sa.select(t.configs).where(c.namespace == namespace).order_by(c.name)
        if template is not None:
            query = query.where(c.template == template)
        with self.store.tx() as conn:
            return [_record(r) for r in conn.execute(query).all()]

    def delete(self, namespace: str, name: str) -> bool:
        """Delete a config; False if there was none."""
        c = t.configs.c
        with self.store.tx() as conn:
            result = conn.execute(sa.delete(t.configs).where(c.namespace == namespace, c.name == name))
        return bool(result.rowcount)


def _record(row: Any) -> ConfigRecord:
    remember_leaves(row.config)
    config = dict(row.config)
    return ConfigRecord(row.namespace, row.name, row.template, config, row.created_at, row.updated_at)
