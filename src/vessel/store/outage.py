"""When the store fails mid-command: which failures pass, and how to say them in one line.

Every Store method is one transaction, and any database error it meets is translated here (`Store.tx`),
so no command ever shows a driver traceback. Two kinds:

- an **outage** (`StoreOutageError`, transient): the connection was lost or refused (PostgreSQL
  restarting, a network cut, an admin shutdown), the server did not answer within the statement timeout
  (store/answer_timeout.py), the disk is full (PostgreSQL 53100, SQLite's SQLITE_FULL "database or disk
  is full"), an I/O error, too many connections, a deadlock or serialization failure, SQLite's file stayed
  locked beyond its busy timeout. Nothing is wrong with the data or with what was asked: whoever drives
  work waits and does its pass again (controller/outage.py);
- anything else the database refuses while running (a permission revoked, a database dropped): a
  `StoreUnavailableError`, exit 2, not retried.

Errors that are Vessel's own bugs (a constraint violated, bad SQL) are not translated: they must show.

A transaction that failed before its COMMIT was sent left nothing behind (the database rolled it back),
and so did one whose COMMIT the database answered with an error (SQLite's COMMIT on a full disk): doing
it again is safe. One whose connection was lost *while committing* may or may not have been saved
(`StoreOutageError.committing`): callers never assume either — the engine decides from what it reads
back, and every Store write can be done twice with the same result (updates by key, upserts, lease
renewals by the same owner), except the few inserts that are never redone blindly (events, revisions
(found again by digest), runs).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from vessel.errors import StoreOutageError, StoreUnavailableError
from vessel.store.connect import driver_message
from vessel.store.location import SQLITE_BUSY_TIMEOUT_MS, URL_VARIABLE

# SQLSTATE classes and codes that pass: connection exceptions, insufficient resources (disk full, out of
# memory, too many connections), operator intervention (shutdown, starting up, statement timeout),
# transaction rollback (serialization failure, deadlock), system errors (I/O).
SILENT = "the server did not answer within {seconds:g} s"  # what store/answer_timeout.py says
_PASSING_CLASSES = ("08", "53", "57", "40", "58")
_SQLITE_PASSING = {5: "busy", 6: "locked", 7: "out of memory", 10: "disk I/O error", 13: "full", 15: "locked"}


def translated(exc: sa.exc.DBAPIError | sqlite3.Error, url: URL, committing: bool) -> Exception:
    """The error to raise for a database failure met by a store transaction: an outage, another store
    problem, or `exc` itself when it is a bug (an integrity or programming error)."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if isinstance(exc, sa.exc.IntegrityError | sa.exc.ProgrammingError | sa.exc.DataError):
        return exc
    reason = driver_message(orig, url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        return _sqlite(orig, reason, url.database or "")  # a local COMMIT that failed did not happen
    return _postgresql(exc, orig, reason, url, committing)


def _postgresql(
    exc: BaseException, orig: BaseException | None, reason: str, url: URL, committing: bool
) -> Exception:
    where = f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432} (database {url.database})"
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    lost = getattr(exc, "connection_invalidated", False) or not sqlstate
    if not lost and not sqlstate.startswith(_PASSING_CLASSES):
        return StoreUnavailableError(f"{where} refused: {reason}", hint=f"check the server, {URL_VARIABLE}")
    if sqlstate == "57014" or reason.startswith(SILENT.split("{", 1)[0]) or "timeout expired" in reason:
        message = f"{where} did not answer in time ({reason})"
        hint = f"is it stopped or overloaded? if only slow, raise ?statement_timeout=N in {URL_VARIABLE}"
    elif sqlstate == "53100":
        message, hint = f"{where} is out of disk space: {reason}", "free space on the database server"
    elif lost:
        message, hint = f"lost the connection to {where}: {reason}", "is the server up and reachable?"
    else:
        message, hint = f"{where} failed for now: {reason}", "check the server"
    return _outage(message, hint, committing and lost)  # an answer to COMMIT, even an error, is an outcome


def sqlite_failure(exc: sqlite3.Error, path: str) -> Exception:
    """What a failure of the standard library's sqlite3 reading the store at `path` (`sqlite_reads.py`)
    raises: what the `Store` would raise for it."""
    return _sqlite(exc, driver_message(exc, ""), path)


def _sqlite(orig: BaseException | None, reason: str, path: str) -> Exception:
    where = f"the SQLite store {path}"
    code = getattr(orig, "sqlite_errorcode", None)
    kind = _SQLITE_PASSING.get(code & 0xFF) if isinstance(code, int) else _sqlite_kind(reason)
    if kind is None:
        return StoreUnavailableError(
            f"cannot use {where}: {reason}",
            hint="check that the file and its directory exist and are writable by this user",
        )
    if kind == "full":
        hint = f"free space on the filesystem of {Path(path).parent}"
        return _outage(f"{where}: database or disk is full", hint)
    if kind in ("busy", "locked"):
        locked = f"{where} stayed locked by another process for {SQLITE_BUSY_TIMEOUT_MS // 1000} s"
        return _outage(locked, "look for a stuck vessel process")
    return _outage(f"{where}: {reason}", "check the disk")


def _sqlite_kind(reason: str) -> str | None:
    """For errors that carry no SQLite code (raised by the sqlite3 module itself)."""
    for words, kind in (("disk is full", "full"), ("locked", "locked"), ("disk I/O", "disk I/O error")):
        if words in reason:
            return kind
    return None


def _outage(message: str, hint: str, committing: bool = False) -> StoreOutageError:
    if committing:
        message += "; this happened while committing, so that change may or may not have been saved"
    return StoreOutageError(message, hint=hint, committing=committing)
