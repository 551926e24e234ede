"""The store's records read with the standard library's sqlite3, for commands that only read.

`vessel ls` and `vessel status` read a few rows. Through the `Store` they would first import SQLAlchemy,
which costs more than everything else they do; so when the store is a SQLite file whose schema is
current, they read it here instead, running the `Store`'s own statements (their SQL generated from them
into `read_sql.py`: `read_statements.py`) and building the records with the `Store`'s own converters
(`rows.py`). The two answer alike; tests/test_fast_reads_answer_as_the_store_does.py holds them to it.

`open` gives None whenever this reader is not the right one, and the caller opens the `Store` instead,
which behaves as it always has (creates a new store, migrates an old one, says what is wrong with a bad
file): the URL is not a plain SQLite file's, the file does not exist, or its schema is not this
Vessel's newest. The file is opened read-write — without creating it, and only ever asked to read
(`query_only`) — so that, like the `Store`'s, the last connection to close checkpoints the WAL and
removes its files. A failure while reading is said as the `Store` says it (`outage.py`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from vessel.store.location import SQLITE_BUSY_TIMEOUT_MS, sqlite_file
from vessel.store.read_sql import QUERIES
from vessel.store.reads import RecordReads
from vessel.store.records import AppRecord, Event, InventoryEntry, RunRecord, StepRecord
from vessel.store.rows import (
    app_record,
    event_record,
    inventory_entry,
    run_record,
    step_record,
    target_record,
)
from vessel.store.schema_version import VERSION_TABLE, schema_head
from vessel.targets.protocol import TargetInfo

_EXPANDING = "__[POSTCOMPILE_{}]"  # how SQLAlchemy leaves an IN list's place in compiled SQL


def open_reads(url: str) -> RecordReads:
    """The store at `url`, for reading only: read with the standard library when it is a SQLite file
    whose schema is current, else opened by the `Store` (SQLAlchemy), as every command opens it."""
    path = sqlite_file(url)
    reads = SqliteReads.open(path) if path is not None else None
    if reads is not None:
        return reads
    from vessel.store.store import Store

    return Store.open(url)


class SqliteReads:
    """The read methods of `Store` that `ls` and `status` use, with the same answers."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._connection = connection
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> SqliteReads | None:
        """A reader of the SQLite store at `path`, or None when the `Store` must open it instead."""
        if not path.is_file():
            return None
        uri = f"{path.resolve().as_uri()}?mode=rw"
        try:
            connection = sqlite3.connect(
                uri,
                uri=True,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # each statement its own read, as the Store's reads are
                check_same_thread=False,  # any thread may read (one at a time: `_lock`)
            )
        except sqlite3.Error:
            return None
        try:
            connection.execute("PRAGMA query_only=ON")
            versions = [r[0] for r in connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
        except sqlite3.Error:  # not a database, no version table, locked…: the Store says what it is
            connection.close()
            return None
        if versions != [schema_head()]:
            connection.close()
            return None
        return cls(connection, path)

    def close(self) -> None:
        self._connection.close()

    def apps(self) -> list[AppRecord]:
        return [app_record(r) for r in self._rows("apps")]

    def app(self, namespace: str, name: str) -> AppRecord | None:
        rows = self._rows("app", namespace=namespace, name=name)
        return app_record(rows[0]) if rows else None

    def latest_run(self, app_id: int) -> RunRecord | None:
        rows = self._rows("latest_run", app_id=app_id)
        return run_record(rows[0]) if rows else None

    def steps(self, run_id: int) -> dict[str, StepRecord]:
        return {r.name: step_record(r) for r in self._rows("steps", run_id=run_id)}

    def inventory(self, app_id: int) -> list[InventoryEntry]:
        return [inventory_entry(r) for r in self._rows("inventory", app_id=app_id)]

    def targets(self) -> list[tuple[TargetInfo, bool]]:
        return [target_record(r) for r in self._rows("targets")]

    def revision_outline(self, app_id: int, number: int) -> tuple[dict[str, Any], list[str], str | None]:
        rows = self._rows("revision_outline", app_id=app_id, number=number)
        if not rows:
            from vessel.errors import NotFoundError

            raise NotFoundError(f"revision {number} does not exist")
        return rows[0].spec, list(rows[0].definitions), rows[0].default_target

    def definition_documents(self, digests: Sequence[str]) -> list[dict[str, Any]]:
        found = {r.digest: r.document for r in self._rows("definition_documents", digests=list(digests))}
        return [found[d] for d in digests]

    def revisions(self, app_id: int) -> list[tuple[int, str, float]]:
        return [(r.number, r.digest, r.created_at) for r in self._rows("revisions", app_id=app_id)]

    def revision_specs(self, app_id: int) -> list[tuple[int, str, dict[str, Any]]]:
        return [(r.number, r.digest, r.spec) for r in self._rows("revision_specs", app_id=app_id)]

    def events(self, app_id: int, limit: int = 200) -> list[Event]:
        return [event_record(r) for r in reversed(self._rows("events", app_id=app_id, limit=limit))]

    def _rows(self, query: str, **params: Any) -> list[SimpleNamespace]:
        """The rows of one of the generated queries, decoded as SQLAlchemy decodes them."""
        spec = QUERIES[query]
        sql, bound = _expanded(spec["sql"], {**spec["fixed"], **params})
        with self._lock, self._failures():
            raw = self._connection.execute(sql, bound).fetchall()
        columns: list[str] = spec["columns"]
        return [_decoded(dict(zip(columns, row, strict=True)), spec) for row in raw]

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            from vessel.store.outage import sqlite_failure  # SQLAlchemy only on this rare path

            raise sqlite_failure(exc, str(self.path)) from None


def _expanded(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The SQL with each IN list's place filled with one parameter per value (a list parameter)."""
    for name, value in list(params.items()):
        place = _EXPANDING.format(name)
        if isinstance(value, list) and place in sql:
            names = [f"{name}_{i}" for i in range(len(value))]
            sql = sql.replace(place, ", ".join(f":{n}" for n in names) or "NULL")
            del params[name]
            params.update(zip(names, value, strict=True))
    return sql, params


def _decoded(row: dict[str, Any], spec: dict[str, Any]) -> SimpleNamespace:
    for column in spec["json"]:
        if row[column] is not None:
            row[column] = json.loads(row[column])
    for column in spec["booleans"]:
        if row[column] is not None:
            row[column] = bool(row[column])
    return SimpleNamespace(**row)
