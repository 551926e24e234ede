"""A `uses` trait taken away from a component that stays is the component letting go of its database,
as deleting the application is: `onDelete: drop` drops the database, the user and the secret when the
new revision is applied, `keep` keeps them — and a database another component still binds to is never
dropped from under it (the last one to let go decides)."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

from shared_services import APP_CODE, ok, reachable_home, superuser_query
from vessel.model import secret_files

__all__ = ["reachable_home"]  # the fixture, imported for pytest

pytestmark = pytest.mark.timeout(180)
IDLE = "import time; time.sleep(3600)"


def component(name: str, binding: str | None) -> str:
    code, traits = IDLE, ""
    if binding is not None:
        code = APP_CODE
        traits = f"""
      traits:
        - type: uses
          properties: {{addon: postgresql, database: shared_db, onDelete: {binding}}}"""
    return f"""
    - name: {name}
      type: worker
      properties:
        image: none
        cmd: [{sys.executable!r}, "-c", {code!r}]{traits}"""


def app(home: Path, **bindings: str | None) -> Path:
    """The application `a`, one component per keyword: its binding's onDelete, or None for none."""
    text = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a}\nspec:\n  components:"
    text += "".join(component(name, binding) for name, binding in bindings.items())
    path = home / "a.yaml"
    path.write_text(text + "\n")
    return path


def database_exists() -> bool:
    return bool(superuser_query("SELECT 1 FROM pg_database WHERE datname = 'shared_db'"))


def role_exists() -> bool:
    return bool(superuser_query("SELECT 1 FROM pg_roles WHERE rolname = 'shared_db'"))


def secret_exists() -> bool:
    return (secret_files.secrets_dir() / "postgresql-shared-db").exists()


def data_kept() -> bool:
    """The rows the bound processes wrote are still there (not a database dropped and made again)."""
    url = secret_files.read("postgresql-shared-db", "DATABASE_URL")
    with psycopg.connect(url) as conn:
        return bool(conn.execute("SELECT who FROM seen").fetchall())


def test_a_drop_binding_taken_away_drops_the_database_user_and_secret(reachable_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(app(reachable_home, web="drop")))
    assert database_exists() and role_exists() and secret_exists()
    ok("up", "-f", str(app(reachable_home, web=None)))  # the trait removed; the component stays
    assert not database_exists() and not role_exists() and not secret_exists()


def test_a_keep_binding_taken_away_keeps_them(reachable_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(app(reachable_home, web="keep")))
    ok("up", "-f", str(app(reachable_home, web=None)))
    assert database_exists() and role_exists() and secret_exists() and data_kept()


def test_a_database_another_component_binds_is_kept_until_the_last_lets_go(reachable_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(app(reachable_home, web="drop", worker="drop")))
    ok("up", "-f", str(app(reachable_home, web="drop", worker=None)))  # the web still binds it
    assert database_exists() and role_exists() and secret_exists() and data_kept()
    ok("up", "-f", str(app(reachable_home, web=None, worker=None)))
    assert not database_exists() and not role_exists()


def test_a_component_removed_does_not_drop_a_database_another_still_binds(reachable_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(app(reachable_home, web="drop", worker="drop")))
    ok("up", "-f", str(app(reachable_home, web="drop")))  # the worker's object is deleted
    assert database_exists() and role_exists() and secret_exists() and data_kept()
