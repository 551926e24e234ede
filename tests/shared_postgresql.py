"""Helpers for tests of the built-in `postgresql` addon on the local target: a VESSEL_HOME the server can
reach (when the suite runs as root, PostgreSQL runs as the `postgres` OS user, which cannot enter pytest's
0700 temp dirs), applications bound with the `uses` trait, and the instance's superuser."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli
from vessel.errors import NotFoundError
from vessel.model import secret_files
from vessel.targets.local.postgresql.instance import bindir, instance

runner = CliRunner()

# The app writes a row through its DATABASE_URL, says its password on stdout (to see it masked), and stays.
APP_CODE = (
    "import os, time, psycopg\n"
    "with psycopg.connect(os.environ['DATABASE_URL']) as c:\n"
    "    c.execute('CREATE TABLE IF NOT EXISTS seen (who text)')\n"
    "    c.execute('INSERT INTO seen VALUES (%s)', (os.environ['PGUSER'],))\n"
    "print('password', os.environ['PGPASSWORD'], flush=True)\n"
    "time.sleep(3600)\n"
)


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


def ok(*args: str) -> str:
    result = vessel(*args)
    assert result.exit_code == 0, result.output
    return result.output


def bound_app(directory: Path, name: str, on_delete: str = "keep", extra_env: str = "") -> Path:
    env = f"\n        env: [{{name: EXTRA, value: {extra_env!r}}}]" if extra_env else ""
    text = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - name: {name}-app
      type: worker
      properties:
        image: none
        cmd: [{sys.executable!r}, "-c", {APP_CODE!r}]{env}
      traits:
        - type: uses
          properties: {{addon: postgresql, onDelete: {on_delete}}}
"""
    path = directory / f"{name}.yaml"
    path.write_text(text)
    return path


def secret(app: str, key: str) -> str:
    return secret_files.read(f"postgresql-default-{app}", key)


def superuser_query(query: str, *params: str) -> list[tuple[object, ...]]:
    with psycopg.connect(**instance().superuser_dsn(), autocommit=True) as conn:  # type: ignore[arg-type]
        return conn.execute(query, params).fetchall()


@pytest.fixture
def reachable_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A VESSEL_HOME under /tmp (short, and enterable by the `postgres` user), with the addon's server
    stopped and everything removed afterwards; the test is skipped when PostgreSQL is not installed."""
    try:
        bindir()
    except NotFoundError:
        pytest.skip("PostgreSQL binaries are not installed")
    home = Path(tempfile.mkdtemp(prefix="vpg-"))
    monkeypatch.setenv("VESSEL_HOME", str(home))
    try:
        yield home
    finally:
        for app in ("a", "b"):
            with contextlib.suppress(Exception):
                vessel("delete", app, "--yes")
        with contextlib.suppress(Exception):
            vessel("addon", "disable", "postgresql", "--force")
        _kill_left_server(instance().data / "postmaster.pid")
        shutil.rmtree(home, ignore_errors=True)


def _kill_left_server(pid_file: Path) -> None:
    """Last resort, should the disable not have stopped it: no server outlives its test."""
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text().split("\n", 1)[0]), signal.SIGKILL)
