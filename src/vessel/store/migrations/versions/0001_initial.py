"""Initial schema: targets, applications, revisions, runs, steps, inventory, events."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("name", sa.String(253), primary_key=True),
        sa.Column("type", sa.String(63), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("latest_revision", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("deleting", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("namespace", "name", name="uq_applications_namespace_name"),
    )
    op.create_table(
        "definition_snapshots",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_table(
        "revisions",
        sa.Column(
            "app_id", sa.Integer, sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("definitions", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("suspended", sa.Boolean, nullable=False),
        sa.Column("terminated", sa.Boolean, nullable=False),
        sa.Column("pruned", sa.Boolean, nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires", sa.Float),
    )
    op.create_index("ix_runs_app", "runs", ["app_id", "id"])
    op.create_table(
        "steps",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(253), primary_key=True),
        sa.Column("parent", sa.String(253)),
        sa.Column("type", sa.String(63), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(63), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("next_attempt_at", sa.Float),
        sa.Column("outputs", sa.JSON, nullable=False),
    )
    op.create_table(
        "inventory",
        sa.Column(
            "app_id", sa.Integer, sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("target", sa.String(253), primary_key=True),
        sa.Column("api_version", sa.String(253), primary_key=True),
        sa.Column("kind", sa.String(253), primary_key=True),
        sa.Column("namespace", sa.String(253), primary_key=True),
        sa.Column("name", sa.String(253), primary_key=True),
        sa.Column("component", sa.String(253), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("manifest", sa.JSON, nullable=False),
        sa.Column("role", sa.String(253), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_inventory_object", "inventory", ["target", "api_version", "kind", "namespace", "name"]
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(63), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_events_app", "events", ["app_id", "id"])


def downgrade() -> None:
    for table in (
        "events",
        "inventory",
        "steps",
        "runs",
        "revisions",
        "definition_snapshots",
        "applications",
        "targets",
    ):
        op.drop_table(table)
