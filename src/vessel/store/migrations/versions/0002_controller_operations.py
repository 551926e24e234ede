"""Controller operations: where a revision was placed, and the retry state of deletes.

- revisions.default_target: the default target when the revision was made, so a later change of the
  default never moves an application already delivered (restart, rollback and resumed runs keep it).
- inventory.errors / next_attempt_at / last_error: consecutive failed deletes of an entry, when the next
  attempt is due (backoff, shared by every process) and the last failure (an event is recorded only when
  it changes, not per attempt).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("default_target", sa.String(253)))
    # Until now every run placed "no topology" on the default of the moment: that is where existing
    # revisions are, so they keep it from here on.
    bind = op.get_bind()
    default = bind.execute(sa.text("SELECT name FROM targets WHERE is_default")).scalar() or "local"
    bind.execute(sa.text("UPDATE revisions SET default_target = :name"), {"name": default})
    with op.batch_alter_table("inventory") as batch:
        batch.add_column(sa.Column("errors", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.Float))
        batch.add_column(sa.Column("last_error", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("inventory") as batch:
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
        batch.drop_column("errors")
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("default_target")
