"""Inventory keys hold the canonical kind (`model.resource_key.canonical_kind`: ASCII letters lowered).

Keys compared spellings before, so `Deployment` and `deployment` of one name were two entries although
every target treats them as one object. The manifest column keeps the spelling. Should an application
hold an object under two spellings, the entry written last is kept: it is what was applied last.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

_KEY = ("app_id", "target", "api_version", "kind", "namespace", "name")


def _canonical(kind: str) -> str:  # as of this migration; the model's may change later
    return kind.lower() if kind.isascii() else kind


def upgrade() -> None:
    inventory = sa.table("inventory", *(sa.column(c) for c in (*_KEY, "updated_at")))
    conn = op.get_bind()
    rows = conn.execute(sa.select(inventory).order_by(inventory.c.updated_at.desc())).all()
    kept: set[tuple[object, ...]] = set()
    respelled = []
    for row in rows:  # newest first: older duplicates go before any key changes
        canonical = _canonical(row.kind)
        where = [inventory.c[k] == getattr(row, k) for k in _KEY]
        identity = (row.app_id, row.target, row.api_version, canonical, row.namespace, row.name)
        if identity in kept:
            conn.execute(sa.delete(inventory).where(*where))
        else:
            kept.add(identity)
            if canonical != row.kind:
                respelled.append((where, canonical))
    for where, canonical in respelled:
        conn.execute(sa.update(inventory).where(*where).values(kind=canonical))


def downgrade() -> None:
    """Nothing to undo: a canonical kind is a kind older versions compare by spelling."""
