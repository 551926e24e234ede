"""Provision once, bind many: the built-in `postgresql` addon runs one real PostgreSQL on the local
target, and each application bound to it with the `uses` trait gets its own database and user —
a DATABASE_URL that works, credentials that open nothing else, a password never shown, a database kept
when the application is deleted unless it says `onDelete: drop`, and re-applying changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from shared_services import bound_app, ok, reachable_home, secret, superuser_query, vessel

__all__ = ["reachable_home"]  # the fixture, imported for pytest

pytestmark = pytest.mark.timeout(180)


def rows_seen(app: str) -> list[str]:
    """What the app wrote through its own DATABASE_URL, read back with that same URL."""
    with psycopg.connect(secret(app, "DATABASE_URL")) as conn:
        return [str(row[0]) for row in conn.execute("SELECT who FROM seen").fetchall()]


def fresh_vessel(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "vessel", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def deliver_two(home: Path, on_delete_b: str = "keep") -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(bound_app(home, "a")))
    ok("up", "-f", str(bound_app(home, "b", on_delete=on_delete_b)))


def test_each_bound_application_gets_a_working_database_url_of_its_own(reachable_home: Path) -> None:
    deliver_two(reachable_home)
    assert rows_seen("a") == ["default_a"]  # each process wrote through the URL injected into its env
    assert rows_seen("b") == ["default_b"]
    assert secret("a", "PGDATABASE") == "default_a" != secret("b", "PGDATABASE")


def test_one_applications_credentials_cannot_open_another_applications_database(
    reachable_home: Path,
) -> None:
    deliver_two(reachable_home)
    a_url_to_b = secret("a", "DATABASE_URL").rsplit("/", 1)[0] + "/default_b"
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(a_url_to_b).close()


def test_the_password_never_appears_in_output_status_events_or_the_store(reachable_home: Path) -> None:
    said = [
        vessel("addon", "enable", "postgresql").output,
        vessel("up", "-f", str(bound_app(reachable_home, "a"))).output,
    ]
    password = secret("a", "PGPASSWORD")
    assert rows_seen("a") == ["default_a"]
    for command in (["status", "a"], ["status", "a", "-o", "json"], ["events", "a"], ["logs", "a"]):
        said.append(fresh_vessel(*command))  # a new process: it has not read the secret itself
    assert "password ***" in said[-1]  # the app printed it; Vessel shows it masked
    assert not [text for text in said if password in text]
    assert password.encode() not in (reachable_home / "vessel.db").read_bytes()


def test_deleting_keeps_the_database_unless_the_binding_says_drop(reachable_home: Path) -> None:
    deliver_two(reachable_home, on_delete_b="drop")
    ok("delete", "a", "--yes")
    ok("delete", "b", "--yes")
    databases = {str(r[0]) for r in superuser_query("SELECT datname FROM pg_database")}
    roles = {str(r[0]) for r in superuser_query("SELECT rolname FROM pg_roles")}
    assert "default_a" in databases and "default_a" in roles
    assert "default_b" not in databases and "default_b" not in roles
    assert rows_seen("a") == ["default_a"]  # kept with its data, and its credentials still open it


def test_reapplying_and_redelivering_keep_the_database_and_its_password(reachable_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(bound_app(reachable_home, "a")))
    password = secret("a", "PGPASSWORD")
    ok("addon", "enable", "postgresql")  # enabling again changes nothing either
    ok("up", "-f", str(bound_app(reachable_home, "a", extra_env="2")))  # a new revision: applied again
    ok("delete", "a", "--yes")
    ok("up", "-f", str(bound_app(reachable_home, "a")))  # delivered again after a delete (kept)
    assert secret("a", "PGPASSWORD") == password
    assert rows_seen("a") == ["default_a"] * 3  # one database, written by each of the three processes


def test_the_shared_instance_keeps_its_data_and_port_across_restarts(reachable_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("up", "-f", str(bound_app(reachable_home, "a")))
    url = secret("a", "DATABASE_URL")
    ok("addon", "disable", "postgresql", "--force")  # stops the server (its Application is deleted)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5).close()
    ok("addon", "enable", "postgresql")
    with psycopg.connect(url) as conn:  # the same port, the same cluster, the same data
        assert [row[0] for row in conn.execute("SELECT who FROM seen")] == ["default_a"]
