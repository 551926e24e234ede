"""Helpers for tests of the built-in `postgresql` and `redis` addons on the local target: a VESSEL_HOME
the server can reach (when the suite runs as root, PostgreSQL runs as the `postgres` OS user, which
cannot enter pytest's 0700 temp dirs), applications bound with the `uses` trait, and the PostgreSQL
instance's superuser."""

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
from vessel.targets.local.redis.instance import binary as redis_binary

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


# The app stores its user name under its prefix through its REDIS_URL credentials, and stays.
REDIS_APP_CODE = (
    "import os, time\n"
    "from vessel.targets.local.redis.resp import Connection\n"
    "with Connection(os.environ['REDIS_HOST'], int(os.environ['REDIS_PORT'])) as c:\n"
    "    c.call('AUTH', os.environ['REDIS_USERNAME'], os.environ['REDIS_PASSWORD'])\n"
    "    c.call('SET', os.environ['REDIS_KEY_PREFIX'] + 'seen', os.environ['REDIS_USERNAME'])\n"
    "print('password', os.environ['REDIS_PASSWORD'], flush=True)\n"
    "time.sleep(3600)\n"
)


def bound_app(
    directory: Path, name: str, on_delete: str = "keep", extra_env: str = "", addon: str = "postgresql"
) -> Path:
    code = APP_CODE if addon == "postgresql" else REDIS_APP_CODE
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
        cmd: [{sys.executable!r}, "-c", {code!r}]{env}
      traits:
        - type: uses
          properties: {{addon: {addon}, onDelete: {on_delete}}}
"""
    path = directory / f"{name}.yaml"
    path.write_text(text)
    return path


def secret(app: str, key: str, addon: str = "postgresql") -> str:
    return secret_files.read(f"{addon}-default-{app}", key)


def superuser_query(query: str, *params: str) -> list[tuple[object, ...]]:
    with psycopg.connect(**instance().superuser_dsn(), autocommit=True) as conn:  # type: ignore[arg-type]
        return conn.execute(query, params).fetchall()


@pytest.fixture
def reachable_home(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A VESSEL_HOME under /tmp (short, and enterable by the `postgres` user), with the addon's server
    stopped and everything removed afterwards; the test is skipped when PostgreSQL is not installed."""
    addon = getattr(request, "param", "postgresql")
    try:
        bindir() if addon == "postgresql" else redis_binary()
    except NotFoundError:
        pytest.skip(f"{addon} is not installed on this machine")
    home = Path(tempfile.mkdtemp(prefix="vpg-"))
    monkeypatch.setenv("VESSEL_HOME", str(home))
    try:
        yield home
    finally:
        for app in ("a", "b"):
            with contextlib.suppress(Exception):
                vessel("delete", app, "--yes")
        with contextlib.suppress(Exception):
            vessel("addon", "disable", addon, "--force")
        _kill_left_server(instance().data / "postmaster.pid")
        _kill_left_server(home / "addons" / "redis" / "server.pid")
        shutil.rmtree(home, ignore_errors=True)


def _kill_left_server(pid_file: Path) -> None:
    """Last resort, should the disable not have stopped it: no server outlives its test."""
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text().split("\n", 1)[0]), signal.SIGKILL)
