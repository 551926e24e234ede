"""Projects: the namespaces each owns, the targets each may deliver to, and its members with their
role (owner, developer, viewer). `users.admin` stays the platform-wide role."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "project_namespaces",
        sa.Column("namespace", sa.String(63), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_project_namespaces_project", "project_namespaces", ["project_id"])
    op.create_table(
        "project_targets",
        sa.Column(
            "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("target", sa.String(253), primary_key=True),
    )
    op.create_table(
        "members",
        sa.Column(
            "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
    )
    op.create_index("ix_members_user", "members", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_members_user", table_name="members")
    op.drop_table("members")
    op.drop_table("project_targets")
    op.drop_index("ix_project_namespaces_project", table_name="project_namespaces")
    op.drop_table("project_namespaces")
    op.drop_table("projects")
