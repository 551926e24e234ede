"""A command imports what it uses and no more, so `vessel version`, `vessel ls` and `vessel status` start
quickly: version reads no store, ls reads records and nothing of the engine, status judges what is
delivered without building the definition registry, without Alembic when the store is current, and
without the target types and step types it does not reach. On a current SQLite store neither ls nor
status imports SQLAlchemy (`store/sqlite_reads.py`), nor the controller.

Each command runs in a fresh Python process (as from a shell), which then reports the modules it
imported and whether the built-in definitions were loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DRIVER = """
import json, os, sys
from vessel.cli.main import app
try:
    app(sys.argv[1:], prog_name="vessel")
    code = 0
except SystemExit as exc:
    code = exc.code or 0
registry = sys.modules.get("vessel.definitions.registry")
built = registry is not None and registry.builtin_definitions.cache_info().currsize > 0
with open(os.environ["REPORT_TO"], "w") as report:
    json.dump({"code": code, "modules": sorted(sys.modules), "registry_built": built}, report)
"""

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
"""

# What no reading command needs: the migration tool (its store is current), the PostgreSQL driver (it is
# SQLite), pydantic (Typer 0.29 parses options with it; requirements.lock pins 0.28), the Helm plugin.
NEVER_FOR_READING = {"alembic", "psycopg", "pydantic", "vessel.helm"}


def vessel(env: dict[str, str], tmp_path: Path, *args: str) -> dict[str, Any]:
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        env={**env, "REPORT_TO": str(report)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found: dict[str, Any] = json.loads(report.read_text())
    assert found["code"] == 0, done.stdout + done.stderr
    found["stdout"] = done.stdout
    return found


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store holding one delivered application (on a directory target)."""
    root = tmp_path_factory.mktemp("store")
    env = {**os.environ, "VESSEL_HOME": str(root / "home"), "COLUMNS": "200"}
    env.pop("VESSEL_DATABASE_URL", None)
    (root / "app.yaml").write_text(APP)
    for args in (
        ["target", "add", "out", "--type", "directory", "--path", str(root / "out"), "--default"],
        ["up", "-f", str(root / "app.yaml")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return env


def imported(found: dict[str, Any], *prefixes: str) -> list[str]:
    return [m for m in found["modules"] if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_version_reads_no_store_and_no_definition(env: dict[str, str], tmp_path: Path) -> None:
    found = vessel(env, tmp_path, "version")
    assert "Version:" in found["stdout"]
    assert (
        imported(found, "sqlalchemy", "jinja2", "jsonschema", "yaml", "vessel.store", "vessel.controller")
        == []
    )
    assert imported(found, "vessel.definitions", "vessel.render", "vessel.workflow", *NEVER_FOR_READING) == []


def test_ls_reads_records_without_the_engine_or_the_registry(env: dict[str, str], tmp_path: Path) -> None:
    found = vessel(env, tmp_path, "ls")
    assert "shop" in found["stdout"] and "running" in found["stdout"]
    assert imported(found, "vessel.store.sqlite_reads")  # it did read the store: a current SQLite file,
    assert imported(found, "sqlalchemy", "vessel.store.store") == []  # with the standard library
    assert imported(found, "jinja2", "jsonschema", *NEVER_FOR_READING) == []
    assert imported(found, "vessel.controller.controller", "vessel.workflow", "vessel.render") == []
    assert imported(found, "vessel.definitions.registry", "vessel.definitions.loader") == []
    assert not found["registry_built"]


def test_status_judges_health_without_building_the_registry(env: dict[str, str], tmp_path: Path) -> None:
    found = vessel(env, tmp_path, "status", "shop")
    assert "phase: running" in found["stdout"] and "api" in found["stdout"]
    assert not found["registry_built"]
    assert imported(found, *NEVER_FOR_READING) == []
    # only the target type it reaches (a directory), and no step type: status runs no step
    assert imported(found, "vessel.targets.directory")
    assert (
        imported(found, "vessel.targets.kubernetes", "vessel.targets.local", "vessel.workflow.steps.deploy")
        == []
    )


def test_status_reads_a_current_sqlite_store_without_sqlalchemy_or_the_engine(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Status reads records, live objects and its revision's definitions: not through SQLAlchemy (the
    store is a current SQLite file), not through a Controller (it drives nothing), without the
    validators (its revision is parsed only if it tolerates unknown properties; snapshots are not
    re-checked), and without Jinja when no status rule is evaluated (snapshots compile theirs when
    first evaluated)."""
    found = vessel(env, tmp_path, "status", "shop")
    assert "phase: running" in found["stdout"] and "api" in found["stdout"]
    assert imported(found, "vessel.store.sqlite_reads")
    assert imported(found, "sqlalchemy", "vessel.store.store", "jsonschema") == []
    assert imported(found, "jinja2") == []  # a directory only stores objects: no status rule runs
    assert imported(found, "vessel.controller.controller", "vessel.workflow.engine", "vessel.addons") == []


def test_a_new_home_gets_its_store_from_ls_as_before(tmp_path: Path) -> None:
    """The fast reads are only for a store that exists and is current: in a new VESSEL_HOME, `ls` opens
    the Store as it always did, which creates the store (and lists nothing)."""
    home = tmp_path / "new-home"
    env = {**os.environ, "VESSEL_HOME": str(home), "COLUMNS": "200"}
    env.pop("VESSEL_DATABASE_URL", None)
    found = vessel(env, tmp_path, "ls", "-o", "json")
    assert json.loads(found["stdout"]) == []
    assert (home / "vessel.db").is_file()
    assert imported(found, "vessel.store.store") and imported(found, "alembic")  # created, migrated
