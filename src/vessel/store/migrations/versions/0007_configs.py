"""Configs: the store keeps the named configs the config workflow steps create, read, list and delete.

KubeVela keeps a config as a labelled Secret in a cluster; Vessel delivers to targets that have no
Secrets (local, directory, memory), so its configs live beside its other state, one row per
(namespace, name), with the template they were created from (`list-config` filters on it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "configs",
        sa.Column("namespace", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(253), primary_key=True),
        sa.Column("template", sa.String(253), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_configs_template", "configs", ["namespace", "template"])


def downgrade() -> None:
    op.drop_index("ix_configs_template", table_name="configs")
    op.drop_table("configs")
