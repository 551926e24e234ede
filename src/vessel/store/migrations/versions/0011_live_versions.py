"""An inventory entry records the live object's version (its resourceVersion) as the steady state last
found it up to date.

A pass compares only that with the target's current version: an object nobody touched since is skipped
without reading or comparing it, and a restarted process knows as much as the one before it, so it
sends nothing to a target when nothing changed (`controller/steady.py`). Entries recorded before have
none (NULL) until the steady state next finds them up to date.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    with op.batch_alter_table("inventory") as batch:
        batch.add_column(sa.Column("live_version", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inventory") as batch:
        batch.drop_column("live_version")
