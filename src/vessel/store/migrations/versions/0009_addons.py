"""Addons: the registries addons come from, the enabled addons, and their files (definitions whole).

Kept in the store rather than a folder so that every process sharing it sees the same definitions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "addon_registries",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "addons",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("registry", sa.String(63), nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("readme", sa.Text, nullable=False),
        sa.Column("application", sa.String(253)),
        sa.Column("enabled_at", sa.Float, nullable=False),
    )
    op.create_table(
        "addon_files",
        sa.Column("addon", sa.String(63), sa.ForeignKey("addons.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("addon_files")
    op.drop_table("addons")
    op.drop_table("addon_registries")
