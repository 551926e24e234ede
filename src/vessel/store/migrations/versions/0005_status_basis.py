"""A component's workload entry records its status basis: the parameters, context and traits its status
rules (and its traits') see besides live objects, as delivery rendered them (`render/status_basis.py`).

The steady-state loop and `vessel status` judge health with it, exactly as the deploy step did, without
rendering again. Entries recorded before have none (NULL) until their next delivery; the steady state
works theirs out from the revision's component meanwhile (`controller/health.py`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("inventory") as batch:
        batch.add_column(sa.Column("status_basis", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inventory") as batch:
        batch.drop_column("status_basis")
