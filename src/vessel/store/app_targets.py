"""Where each application has something delivered, for lists that filter or show by target: one query
for every application (the distinct targets of the inventory), not one per application."""

from __future__ import annotations

import sqlalchemy as sa

from vessel.store import schema as t
from vessel.store.store import Store


def targets_by_app(store: Store) -> dict[int, frozenset[str]]:
    """Application id -> the targets its inventory names (an application with none is absent)."""
    query = sa.select(t.inventory.c.app_id, t.inventory.c.target).distinct()
    found: dict[int, set[str]] = {}
    with store.tx() as c:
        for app_id, target in c.execute(query):
            found.setdefault(app_id, set()).add(target)
    return {app_id: frozenset(targets) for app_id, targets in found.items()}
