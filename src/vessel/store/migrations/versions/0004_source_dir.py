"""Applications remember the directory their file was last applied from (`source_dir`), outside the spec.

The local target resolves `$(VESSEL_SOURCE_DIR)` with it when it (re)starts processes; keeping it out of
the Application keeps machine paths out of revision digests and delivered objects.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("source_dir", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("source_dir")
