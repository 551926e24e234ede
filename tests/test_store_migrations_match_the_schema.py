"""The Alembic migrations create exactly the tables `store/schema.py` describes, on both databases, and
opening a store twice migrates once."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from vessel.store.schema import metadata
from vessel.store.store import Store


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
