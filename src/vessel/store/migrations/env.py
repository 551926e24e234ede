"""Alembic environment: Vessel runs migrations itself (Store.open), handing over its connection."""

from __future__ import annotations

from alembic import context

from vessel.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
