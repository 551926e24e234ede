"""Opening a store whose schema is current reads its version and does not import Alembic (a tenth of a
second of every command); a store that is behind is still migrated (test_store_migrations_match_the_
schema.py upgrades one from 0001). Knowing the newest revision without Alembic rests on the migrations'
file names: `NNNN_topic.py` holds revision "NNNN" and follows the file before it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from vessel.store.schema_version import MIGRATIONS, schema_head
from vessel.store.store import Store

OPEN = """
import sys
from vessel.store.store import Store
Store.open(sys.argv[1]).close()
print("alembic" in sys.modules)
"""


def assigned(file: Path, name: str) -> object:
    """The value a migration file assigns to `name` (read, not imported)."""
    for node in ast.parse(file.read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
            return ast.literal_eval(node.value)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name and node.value:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{file.name} assigns no {name}")


def test_each_migration_is_named_for_its_revision_and_follows_the_one_before() -> None:
    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    assert files, "no migrations"
    previous = None
    for file in files:
        assert assigned(file, "revision") == file.name[:4], file.name
        assert assigned(file, "down_revision") == previous, file.name
        previous = file.name[:4]


def test_the_newest_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert schema_head() == ScriptDirectory.from_config(config).get_current_head()


def test_opening_a_current_store_does_not_import_alembic(store_url: str) -> None:
    Store.open(store_url).close()  # a new store: migrated, through Alembic
    done = subprocess.run(
        [sys.executable, "-c", OPEN, store_url], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
