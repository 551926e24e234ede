"""Whether a store's schema is current, found without Alembic.

Every command opens the store, and almost always its schema is already at the newest migration: then
Alembic (and the migration scripts it imports to learn the newest one) is not needed at all, and
importing it is a tenth of a second of every command. So the newest revision is read from the
migrations' file names — `versions/NNNN_topic.py` holds revision "NNNN", whose predecessor is the file
before it (tests/test_store_migrations_match_the_schema.py holds every migration to that) — and the
store's own revision from its `alembic_version` table, with two reads. Only a store that is behind (or
new, or ahead, or odd in any way) goes through Alembic, which then decides. A command that reads a SQLite
store without SQLAlchemy (`sqlite_reads.py`) compares the same two.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's, with one row: the revision the schema is at


@functools.cache
def schema_head() -> str:
    """The newest migration's revision: the number its file name starts with."""
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1][:4] if names else ""


def schema_revisions(conn: Connection) -> list[str]:
    """The revisions the store's schema is at (none for a new store)."""
    import sqlalchemy as sa  # here: `schema_head` is asked by readers that never import SQLAlchemy

    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return []
    return [row[0] for row in conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))]


def is_current(conn: Connection) -> bool:
    return schema_revisions(conn) == [schema_head()]
