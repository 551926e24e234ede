"""The audit log: who changed what, when, and how it ended — append-only, newest last."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vessel.model.redaction import redact
from vessel.store import schema as t
from vessel.store.store import Store

MAX_TEXT = 600


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    object: str
    outcome: str
    id: int = 0


class AuditLog:
    def __init__(self, store: Store):
        self.store = store

    def record(self, entry: AuditEntry) -> None:
        values = {
            "at": entry.at,
            "actor": entry.actor[:253],
            "action": entry.action[:253],
            "object": redact(entry.object)[:MAX_TEXT],
            "outcome": entry.outcome[:32],
        }
        with self.store.tx() as c:
            c.execute(t.audit.insert().values(**values))

    def entries(self, limit: int, before: int | None = None) -> list[AuditEntry]:
        """The `limit` most recent entries (older than id `before`, when given), oldest first."""
        query = sa.select(t.audit).order_by(t.audit.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(t.audit.c.id < before)
        with self.store.tx() as c:
            rows = list(c.execute(query))
        return [_entry(r) for r in reversed(rows)]


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(r.at, r.actor, r.action, r.object, r.outcome, r.id)
