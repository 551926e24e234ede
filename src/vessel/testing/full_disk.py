"""A disk that fills up on command, under a SQLite store: the fake beside the store's seam for ENOSPC.

The real thing first: `SmallFilesystem` mounts a tmpfs of a few MiB (root in a container that allows
`mount`); `fill()` writes a filler file until the filesystem has no byte left — SQLite's next write then
fails with SQLITE_FULL, "database or disk is full", exactly as on a full disk — and `free()` deletes it.

Where mounting is not allowed, `SqliteFullFault` injects the same failure at the SQLite seam: the store's
connections are made with a `sqlite3.Connection` subclass whose cursors refuse every write with
SQLITE_FULL while the fault is on. SQLite itself is then never out of space (it cannot roll a write back
half-way for want of it), which the real filesystem also covers where it runs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from vessel.store.store import Store

SQLITE_FULL = 13
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class SmallFilesystem:
    """A tmpfs of `size` at `path`, mounted by `mount` (None when this machine does not allow it)."""

    def __init__(self, path: Path):
        self.path = path
        self._filler = path / ".filler"

    @classmethod
    def mount(cls, path: Path, size: str = "8m") -> SmallFilesystem | None:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return None
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        )
        return cls(path) if done.returncode == 0 else None

    def fill(self) -> None:
        """Write until the filesystem refuses another byte (ENOSPC)."""
        with self._filler.open("ab", buffering=0) as filler:
            for size in (1 << 20, 1 << 12, 1):
                with contextlib.suppress(OSError):
                    while True:
                        filler.write(b"\0" * size)
        probe = self.path / ".probe"
        try:
            probe.write_bytes(b"x")
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        else:
            probe.unlink()
            raise AssertionError(f"{self.path} still has room after filling it")

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        self.free()
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)


class SqliteFullFault:
    """While `full`, every write a `store`'s connections make fails with SQLITE_FULL."""

    def __init__(self, store: Store):
        self.full = False
        fault = self

        class Cursor(sqlite3.Cursor):
            def execute(self, sql: str, parameters: Any = ()) -> Any:
                fault.check(sql)
                return super().execute(sql, parameters)

            def executemany(self, sql: str, parameters: Any) -> Any:
                fault.check(sql)
                return super().executemany(sql, parameters)

        class Connection(sqlite3.Connection):
            def cursor(self, factory: Any = Cursor) -> Any:
                return super().cursor(factory)

        def connect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
            cparams["factory"] = Connection

        sa.event.listen(store.engine, "do_connect", connect)
        store.engine.dispose()  # connections made from now on carry the fault

    def check(self, sql: str) -> None:
        if self.full and sql.lstrip()[:6].upper() in _WRITES:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = SQLITE_FULL
            error.sqlite_errorname = "SQLITE_FULL"
            raise error

    def fill(self) -> None:
        self.full = True

    def free(self) -> None:
        self.full = False
