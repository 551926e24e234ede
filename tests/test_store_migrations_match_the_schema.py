"""The Alembic migrations create exactly the tables `store/schema.py` describes, on both databases,
opening a store twice migrates once, and upgrading an older store keeps what it holds."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from vessel.store.schema import metadata
from vessel.store.store import MIGRATIONS, Store


def test_migrated_database_has_no_difference_from_the_schema(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        store.close()


def test_reopening_an_up_to_date_store_changes_nothing(store_url: str) -> None:
    Store.open(store_url).close()
    store = Store.open(store_url)
    try:
        assert store.writes == 0
    finally:
        store.close()


def test_upgrading_from_0001_keeps_every_revision_s_definition_references(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text("INSERT INTO definition_snapshots VALUES ('d1', 'TraitDefinition', 'scaler', '{}')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO applications (namespace, name, revision, latest_revision, phase, message, "
                "deleting, created_at, updated_at) "
                "VALUES ('default', 'old', 1, 1, 'running', '', false, 0, 0)"
            )
        )
        conn.execute(sa.text("INSERT INTO revisions VALUES (1, 1, 'x', '{}', '[\"d1\"]', 0)"))
    engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.revision(1, 1).definitions == [{}]
        assert store.prune_revisions(1, keep=0) == []
        with store.engine.connect() as conn:
            links = conn.execute(sa.text("SELECT app_id, number, digest FROM revision_definitions")).all()
        assert [tuple(row) for row in links] == [(1, 1, "d1")]
    finally:
        store.close()
