"""Opening the store: which database, how to reach it within a bounded time, and what to say when that
fails.

Every command opens the store first, so every way that can go wrong — VESSEL_HOME is a file or cannot
be written, `vessel.db` is not a database, PostgreSQL is down or silent, VESSEL_DATABASE_URL is not a URL
— becomes one `StoreUnavailableError`: one line naming the cause and what to do (the CLI exits 2 for it),
never a driver traceback. A URL shown in a message always has its password masked, and the password is
scrubbed from any driver text quoted.

Bounded in time: PostgreSQL connections give up after `connect_timeout` seconds (default
`CONNECT_TIMEOUT_S`; a `?connect_timeout=N` in the URL wins), so a server that accepts TCP and never
answers costs one timeout, not a hung command. Once connected, a statement may take `statement_timeout`
seconds (default `STATEMENT_TIMEOUT_S`; `?statement_timeout=N` in the URL, which Vessel reads and
PostgreSQL never sees): the server cancels it then (a lock held too long, a slow disk), and the client
stops waiting `ANSWER_GRACE_S` later (store/answer_timeout.py) in case the server itself went silent.
SQLite waits at most its busy timeout for a lock.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from vessel.errors import StoreUnavailableError
from vessel.store.location import SQLITE_BUSY_TIMEOUT_MS, URL_VARIABLE
from vessel.store.location import default_url as default_url  # where the store is: location.py
from vessel.store.location import existing_url as existing_url
from vessel.store.location import usable_home as usable_home

CONNECT_TIMEOUT_S = 10
STATEMENT_TIMEOUT_S = 15
ANSWER_GRACE_S = 2  # past the server's statement timeout, before the client gives up on an answer
SUPPORTED = ("sqlite", "postgresql")
_URL_HINT = "write it as postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE or sqlite:////PATH/vessel.db"


def create_engine(text: str) -> Engine:
    """An engine for `text` (SQLite or PostgreSQL), with timeouts; connects lazily."""
    url = parse_url(text)
    if url.get_backend_name() == "sqlite":
        _create_private(url.database or "")
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    seconds = statement_timeout(url)
    options = f"{url.query.get('options', '')} -c statement_timeout={round(seconds * 1000)}".strip()
    connect_args: dict[str, Any] = {"options": options}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    url = url.difference_update_query(["statement_timeout", "options"])
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    from vessel.store.answer_timeout import bound_answers  # psycopg: only PostgreSQL stores pay for it

    bound_answers(engine, seconds + ANSWER_GRACE_S)
    return engine


def statement_timeout(url: URL) -> float:
    """Seconds a PostgreSQL statement may take: `?statement_timeout=N` in the URL, else the default."""
    text = url.query.get("statement_timeout", str(STATEMENT_TIMEOUT_S))
    try:
        seconds = float(text if isinstance(text, str) else text[-1])
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 86_400:
        raise StoreUnavailableError(
            f"{URL_VARIABLE}: statement_timeout={text!r} is not a number of seconds",
            hint="write it as ?statement_timeout=15",
        )
    return seconds


def _create_private(database: str) -> None:
    """Create a new SQLite file 0600 before SQLite does (it would make it 0644): its -wal and -shm files
    take the database file's mode, so the whole store is private. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # it exists; or SQLite says what is wrong with the place, in its words
        return


def parse_url(text: str) -> URL:
    """The URL, with `postgres://` read as `postgresql://`; only SQLite and PostgreSQL are accepted."""
    try:
        url = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        raise StoreUnavailableError(
            f"{URL_VARIABLE} is not a database URL: {mask(text)}", hint=_URL_HINT
        ) from None
    if url.get_backend_name() == "postgres":
        url = url.set(drivername="postgresql" + url.drivername[len("postgres") :])
    if url.get_backend_name() not in SUPPORTED:
        raise StoreUnavailableError(
            f"{URL_VARIABLE} names a {url.get_backend_name()!r} database ({mask(text)}); "
            "Vessel keeps its state in SQLite or PostgreSQL",
            hint=_URL_HINT,
        )
    return url


def mask(text: str) -> str:
    """A URL fit for a message: its password replaced by ***, even when the URL does not parse."""
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", text)


@contextmanager
def translating(text: str) -> Iterator[None]:
    """Turn a failure to open the store at `text` into a StoreUnavailableError (one line, masked)."""
    try:
        yield
    except ImportError as exc:
        raise StoreUnavailableError(
            f"{URL_VARIABLE} needs the database driver {exc.name!r}, which is not installed ({mask(text)})",
            hint=_URL_HINT,
        ) from None
    except sa.exc.NoSuchModuleError:
        raise StoreUnavailableError(
            f"{URL_VARIABLE} names a driver Vessel does not have: {mask(text)}", hint=_URL_HINT
        ) from None
    except sa.exc.DBAPIError as exc:
        raise _database_error(text, driver_message(exc.orig, text)) from None
    except Exception as exc:
        if not isinstance(exc, sqlite3.Error) and not _from_alembic(exc):  # a connect hook's; Alembic's
            raise
        raise _database_error(text, driver_message(exc, text)) from None


def _from_alembic(exc: Exception) -> bool:
    """Whether `exc` is Alembic's saying the schema cannot be migrated (looked up only when Alembic was
    imported: a store opened without migrating never imports it)."""
    if "alembic" not in sys.modules:
        return False
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    return isinstance(exc, CommandError | RevisionError)


def _database_error(text: str, reason: str) -> StoreUnavailableError:
    url = parse_url(text)
    if url.get_backend_name() == "sqlite":
        return _sqlite_error(url.database or "", reason)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    what = f"cannot use PostgreSQL at {where} (database {url.database}, user {url.username})"
    timeout = url.query.get("connect_timeout", CONNECT_TIMEOUT_S)
    for pattern, message, hint in _PG_CAUSES:
        if pattern in reason:
            said = message.format(timeout=timeout) if message else reason
            return StoreUnavailableError(f"{what}: {said}", hint=hint)
    return StoreUnavailableError(f"{what}: {reason}", hint=f"check the server and {URL_VARIABLE}")


_PG_CAUSES = (  # (text in the driver's reason, what to say instead ("" = the reason), what to do)
    (
        "timeout expired",
        "it did not answer within {timeout} s",
        "check that the server is up and reachable, or raise it with ?connect_timeout=30 in the URL",
    ),
    (
        "Connection refused",
        "connection refused",
        f"is the server running? check host and port in {URL_VARIABLE}",
    ),
    ("password authentication failed", "", f"check the user and password in {URL_VARIABLE}"),
    ("does not exist", "", "create it (createdb), or fix the name in the URL"),
    ("failed to resolve host", "", f"check the host in {URL_VARIABLE}"),
    ("Can't locate revision", "", "it was migrated by a newer Vessel: upgrade Vessel"),
)


def _sqlite_error(path: str, reason: str) -> StoreUnavailableError:
    where = f"the SQLite store {path}"
    if "file is not a database" in reason:
        return StoreUnavailableError(
            f"{where} is not a database (corrupt, or another file)",
            hint="move it aside and Vessel starts an empty store, or restore it from a backup",
        )
    if "Can't locate revision" in reason:
        return StoreUnavailableError(
            f"{where} was migrated by a newer Vessel ({reason})", hint="upgrade Vessel"
        )
    if "locked" in reason:
        return StoreUnavailableError(
            f"{where} stayed locked by another process for {SQLITE_BUSY_TIMEOUT_MS // 1000} s",
            hint="try again; look for a stuck vessel process",
        )
    return StoreUnavailableError(
        f"cannot open {where}: {reason}",
        hint="check that the file and its directory exist and are writable by this user",
    )


def driver_message(exc: BaseException | None, text: str) -> str:
    """The driver's reason, on one line, without its advice lines and without the password."""
    lines = [line.strip() for line in str(exc or "unknown error").splitlines()]
    useful = [ln for ln in lines if ln and not ln.startswith(("Is the server", "Multiple connection"))]
    reason = (useful or ["unknown error"])[0].lstrip("- ")
    reason = reason.rsplit(" failed: ", 1)[-1]  # "connection to server at ..., port 5432 failed: X" -> X
    password = sa.make_url(text).password if "://" in text else None
    return reason.replace(str(password), "***") if password else reason


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    cursor = dbapi_conn.cursor()
    # The busy timeout first: switching a new store to WAL takes a lock another process opening it at the
    # same moment may hold, and without the timeout that is "database is locked" at once.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
