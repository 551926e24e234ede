"""What `vessel ls`, `status`, `events` and `revision list` read from a current SQLite store with the
standard library (`SqliteReads`) is exactly what the Store reads: the same records, field for field, for
applications running, failed and suspended, with their runs, steps, inventory, revisions and events.
Any other store — missing, not at this Vessel's schema, not a database — is left to the Store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from read_path_apps import SUSPENDED, up_failing
from vessel.errors import StoreUnavailableError
from vessel.store.records import Phase
from vessel.store.sqlite_reads import SqliteReads
from vessel.store.store import Store
from vessel.testing.engine import Harness

RUNNING = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, annotations: {app.oam.dev/publishVersion: v1.0.0}}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}], env: [{name: MODE, value: "a"}]}
      traits: [{type: scaler, properties: {replicas: 2}}]
"""


def alike(fast: object, stored: object) -> bool:
    """Equal, and equal in kind too: `False` and `0` are equal in Python, but not in a JSON document."""
    return fast == stored and repr(fast) == repr(stored)


@pytest.fixture
def store_file(tmp_path: Path) -> Iterator[Path]:
    """A SQLite store with three applications: one running (two revisions), one failed, one suspended
    after its first step."""
    path = tmp_path / "vessel.db"
    harness = Harness.create(f"sqlite:///{path}")
    harness.up(RUNNING)
    harness.up(RUNNING.replace('value: "a"', 'value: "b"').replace("v1.0.0", "v1.1.0"))
    up_failing(harness)
    harness.up(SUSPENDED)
    phases = {a.name: a.phase for a in harness.store.apps()}
    assert phases == {"shop": Phase.RUNNING, "broken": Phase.FAILED, "gated": Phase.SUSPENDING}
    harness.store.close()
    yield path


def test_every_read_answers_as_the_store_answers(store_file: Path) -> None:
    store = Store.open(f"sqlite:///{store_file}")
    fast = SqliteReads.open(store_file)
    assert fast is not None
    try:
        assert alike(fast.apps(), store.apps()) and len(store.apps()) == 3
        assert alike(fast.targets(), store.targets())
        for app in store.apps():
            assert alike(fast.app(app.namespace, app.name), app)
            run = store.latest_run(app.id)
            assert run is not None and alike(fast.latest_run(app.id), run)
            assert alike(fast.steps(run.id), store.steps(run.id)) and store.steps(run.id)
            assert alike(fast.inventory(app.id), store.inventory(app.id))
            assert alike(fast.events(app.id), store.events(app.id)) and store.events(app.id)
            assert alike(fast.events(app.id, limit=1), store.events(app.id, limit=1))
            assert alike(fast.revisions(app.id), store.revisions(app.id))
            assert alike(fast.revision_specs(app.id), store.revision_specs(app.id))
            for number, _, _ in store.revisions(app.id):
                outline = store.revision_outline(app.id, number)
                assert alike(fast.revision_outline(app.id, number), outline)
                assert alike(fast.definition_documents(outline[1]), store.definition_documents(outline[1]))
        assert fast.app("default", "nothing") is None and store.app("default", "nothing") is None
    finally:
        fast.close()
        store.close()


def test_what_the_reads_hold_is_there_to_compare(store_file: Path) -> None:
    """The comparison above compares something: steps with outputs and messages, inventory with
    manifests, the failure's message, two revisions of one application, a default target."""
    fast = SqliteReads.open(store_file)
    assert fast is not None
    try:
        shop, gated, broken = (
            fast.app("default", "shop"),
            fast.app("default", "gated"),
            fast.app("team", "broken"),
        )
        assert shop and gated and broken
        assert [n for n, _, _ in fast.revisions(shop.id)] == [1, 2]
        assert {e.key.kind for e in fast.inventory(shop.id)} >= {"Deployment", "Service"}
        assert all(e.manifest["metadata"]["name"] for e in fast.inventory(shop.id))
        run = fast.latest_run(gated.id)
        assert run is not None and run.phase == "suspending" and isinstance(run.steps, dict)
        assert fast.steps(run.id)["web"].phase == "succeeded"
        assert "refused: quota" in broken.message
        assert [is_default for _, is_default in fast.targets()] == [True]
    finally:
        fast.close()


def test_a_store_not_at_this_vessels_schema_is_left_to_the_store(store_file: Path) -> None:
    with sqlite3.connect(store_file) as db:
        db.execute("UPDATE alembic_version SET version_num = '0010'")
    db.close()
    assert SqliteReads.open(store_file) is None


def test_a_missing_file_or_one_that_is_no_database_is_left_to_the_store(tmp_path: Path) -> None:
    assert SqliteReads.open(tmp_path / "vessel.db") is None
    assert not (tmp_path / "vessel.db").exists()  # and not created
    (tmp_path / "vessel.db").write_text("not a database")
    assert SqliteReads.open(tmp_path / "vessel.db") is None


def test_a_failure_while_reading_is_the_error_the_store_gives(store_file: Path) -> None:
    """Not a driver traceback: the same one-line StoreUnavailableError, naming the store, as the Store's."""
    fast = SqliteReads.open(store_file)
    store = Store.open(f"sqlite:///{store_file}")
    assert fast is not None
    with sqlite3.connect(store_file) as db:
        db.execute("DROP TABLE events")
    db.close()
    try:
        with pytest.raises(StoreUnavailableError) as from_store:
            store.events(1)
        with pytest.raises(StoreUnavailableError) as from_fast:
            fast.events(1)
    finally:
        fast.close()
        store.close()
    assert from_fast.value.render() == from_store.value.render()
    assert str(store_file) in from_fast.value.render() and "no such table: events" in from_fast.value.render()
