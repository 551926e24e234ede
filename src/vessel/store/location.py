"""Where the store is: VESSEL_DATABASE_URL, else the SQLite file `vessel.db` under VESSEL_HOME.

Apart from `connect.py` (how to reach it), and free of SQLAlchemy: a command that only reads a SQLite
store it finds current reads it with the standard library (`sqlite_reads.py`), and finding where the
store is must not cost it SQLAlchemy's import.
"""

from __future__ import annotations

import os
from pathlib import Path

from vessel.errors import StoreUnavailableError
from vessel.home import private_directory, vessel_home

URL_VARIABLE = "VESSEL_DATABASE_URL"
SQLITE_PREFIX = "sqlite:///"
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a SQLite store is waited for while another process locks it


def default_url() -> str:
    """VESSEL_DATABASE_URL, else a SQLite file under VESSEL_HOME (default ~/.vessel), created if needed."""
    if url := os.environ.get(URL_VARIABLE):
        return url
    return f"{SQLITE_PREFIX}{usable_home() / 'vessel.db'}"


def existing_url() -> str | None:
    """The default store's URL if it already exists (a database URL is assumed to), else None: for
    commands that read targets when there are some but must not create a store (`vessel dry-run`)."""
    if url := os.environ.get(URL_VARIABLE):
        return url
    db = vessel_home() / "vessel.db"
    return f"{SQLITE_PREFIX}{db}" if db.is_file() else None


def sqlite_file(url: str) -> Path | None:
    """The file a plain `sqlite:///PATH` URL names (no query, no escapes, not in memory), else None: the
    only kind of URL read without SQLAlchemy; any other is left to it, which understands them all."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    path = url[len(SQLITE_PREFIX) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%#"):
        return None
    return Path(path)


def usable_home() -> Path:
    """VESSEL_HOME as a directory this process can write (created 0700: see `vessel.home`), or a
    StoreUnavailableError saying why not."""
    home = vessel_home()
    try:
        private_directory(home)
    except FileExistsError:
        raise _home_error(home, "is a file, not a directory", "move the file away") from None
    except NotADirectoryError:
        raise _home_error(home, "cannot be created: a parent of it is a file", "") from None
    except OSError as exc:
        raise _home_error(home, f"cannot be created: {exc.strerror}", "") from None
    if not home.is_dir():
        raise _home_error(home, "is not a directory", "move it away")
    if not os.access(home, os.W_OK | os.X_OK):
        raise _home_error(home, "is not writable", "fix its permissions")
    return home


def _home_error(home: Path, problem: str, fix: str) -> StoreUnavailableError:
    todo = (
        f"{fix}, or set VESSEL_HOME to a writable directory"
        if fix
        else "set VESSEL_HOME to a writable directory"
    )
    return StoreUnavailableError(f"VESSEL_HOME {home} {problem}", hint=todo)
