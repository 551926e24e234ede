"""Any problem opening the store is one line on stderr that names the cause and what to do, exit code 2,
no traceback, and never the database password — checked through the real `vessel` command. A PostgreSQL
that accepts connections and never answers costs one connect timeout, not a hung command."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from vessel.errors import StoreUnavailableError
from vessel.store import connect
from vessel.store.store import Store

PASSWORD = "s3cret-pw"


def vessel_ls(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("VESSEL_HOME", "VESSEL_DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "vessel", "ls"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=50,
    )


def assert_one_line_exit_2(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr containing every fragment; no traceback and
    no password anywhere. Returns the line."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes them) and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


# --- VESSEL_HOME and the SQLite file -----------------------------------------------------------------


def test_vessel_home_that_is_a_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a directory")
    done = vessel_ls({"VESSEL_HOME": str(home)})
    assert_one_line_exit_2(done, f"VESSEL_HOME {home} is a file", "set VESSEL_HOME to a writable directory")


def test_vessel_home_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    home = tmp_path / "file" / "home"
    done = vessel_ls({"VESSEL_HOME": str(home)})
    assert_one_line_exit_2(done, f"VESSEL_HOME {home} cannot be created", "a parent of it is a file")


def unwritable_directory(tmp_path: Path) -> Path:
    """A directory this user cannot create files in: chmod for ordinary users; root ignores modes, so
    for root a sysfs directory (creating files there is refused even to root)."""
    if os.geteuid() != 0:
        home = tmp_path / "read-only"
        home.mkdir(mode=0o555)
        return home
    sysfs = Path("/sys/kernel")
    if not sysfs.is_dir():
        pytest.skip("running as root without sysfs: no directory root cannot write")
    return sysfs


def test_vessel_home_that_cannot_be_written(tmp_path: Path) -> None:
    home = unwritable_directory(tmp_path)
    done = vessel_ls({"VESSEL_HOME": str(home)})
    line = assert_one_line_exit_2(done, str(home))
    assert "not writable" in line or "unable to open database file" in line
    assert "writable" in line  # what to do


def test_a_corrupt_database_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "vessel.db").write_bytes(os.urandom(8192))
    done = vessel_ls({"VESSEL_HOME": str(home)})
    assert_one_line_exit_2(done, f"{home / 'vessel.db'} is not a database", "move it aside")


def test_a_store_migrated_by_a_newer_vessel(tmp_path: Path) -> None:
    db = tmp_path / "vessel.db"
    Store.open(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    done = vessel_ls({"VESSEL_DATABASE_URL": f"sqlite:///{db}"})
    assert_one_line_exit_2(done, "migrated by a newer Vessel", "upgrade Vessel")


# --- VESSEL_DATABASE_URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a database URL"),
        (f"postgresql+psycopg://vessel:{PASSWORD}@db.example:port/vessel", "is not a database URL"),
        (f"mysql://vessel:{PASSWORD}@db.example/vessel", "names a 'mysql' database"),
        (f"postgresql+psycopg2://vessel:{PASSWORD}@db.example/vessel", "driver 'psycopg2'"),
    ],
)
def test_a_malformed_database_url(url: str, says: str) -> None:
    done = vessel_ls({"VESSEL_DATABASE_URL": url})
    line = assert_one_line_exit_2(done, "VESSEL_DATABASE_URL", says, "postgresql+psycopg://USER:PASSWORD@")
    if "vessel:" in url:
        assert "vessel:***@" in line  # the URL is shown, with its password masked


def test_postgresql_that_is_down() -> None:
    port = free_port()
    done = vessel_ls({"VESSEL_DATABASE_URL": f"postgresql+psycopg://vessel:{PASSWORD}@127.0.0.1:{port}/db"})
    assert_one_line_exit_2(done, f"127.0.0.1:{port}", "connection refused", "is the server running")


def test_postgresql_database_that_does_not_exist(postgres_url: str) -> None:
    url = sa.make_url(postgres_url).set(database="no_such_db", password=PASSWORD)
    done = vessel_ls({"VESSEL_DATABASE_URL": url.render_as_string(hide_password=False)})
    assert_one_line_exit_2(done, '"no_such_db" does not exist', "create it")


@pytest.mark.timeout(30)
def test_postgresql_that_never_answers_costs_one_connect_timeout(silent_server: int) -> None:
    url = f"postgresql+psycopg://vessel:{PASSWORD}@127.0.0.1:{silent_server}/db?connect_timeout=2"
    started = time.monotonic()
    done = vessel_ls({"VESSEL_DATABASE_URL": url})
    assert_one_line_exit_2(done, "did not answer within 2 s", "connect_timeout")
    assert time.monotonic() - started < 20


@pytest.mark.timeout(30)
def test_a_connect_timeout_applies_when_the_url_sets_none(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(StoreUnavailableError, match="did not answer within 2 s"):
        Store.open(f"postgresql+psycopg://vessel:{PASSWORD}@127.0.0.1:{silent_server}/db")
