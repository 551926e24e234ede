"""The enabled addons' generation: one number, bumped in the same transaction as every enable, upgrade
and disable, so a long-running process (a second server, `vessel run`) learns with one primary-key read
whether the definitions it built are still the enabled set, and builds them again when not.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    table = op.create_table(
        "addon_generation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("addon_generation")
