"""Revision → definition snapshot references as rows (revision_definitions), so that pruning revisions
(garbage-collect `applicationRevisionLimit`) can find the snapshots no remaining revision uses. Existing
revisions are backfilled from their `definitions` lists."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "revision_definitions",
        sa.Column("app_id", sa.Integer, primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), sa.ForeignKey("definition_snapshots.digest"), primary_key=True),
        sa.ForeignKeyConstraint(
            ["app_id", "number"], ["revisions.app_id", "revisions.number"], ondelete="CASCADE"
        ),
    )
    op.create_index("ix_revision_definitions_digest", "revision_definitions", ["digest"])
    revisions = sa.table(
        "revisions", sa.column("app_id"), sa.column("number"), sa.column("definitions", sa.JSON)
    )
    links = sa.table("revision_definitions", sa.column("app_id"), sa.column("number"), sa.column("digest"))
    conn = op.get_bind()
    rows = [
        {"app_id": r.app_id, "number": r.number, "digest": digest}
        for r in conn.execute(sa.select(revisions))
        for digest in dict.fromkeys(r.definitions)
    ]
    if rows:
        conn.execute(sa.insert(links), rows)


def downgrade() -> None:
    op.drop_index("ix_revision_definitions_digest", "revision_definitions")
    op.drop_table("revision_definitions")
