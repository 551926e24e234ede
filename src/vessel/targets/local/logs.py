"""Replica log files: appended to by the processes themselves, rotated by copy-truncate, read back by tail.

A replica writes stdout and stderr to `logs/<replica>.log`, opened in append mode, so truncating the file
under it is safe: its next write lands at the new end. Past `MAX_BYTES` the file is copied to `.1` (older
copies shift to `.2`, `.3`; the oldest is dropped) and truncated. Rotation happens whenever the target is
called (`apply`/`get`); a process that writes faster than that can overshoot the limit in between.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections import deque
from collections.abc import Iterator
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024
KEEP = 3
_CHUNK = 64 * 1024


def rotated(path: Path, n: int) -> Path:
    return path.with_name(f"{path.name}.{n}")


def rotate(path: Path, max_bytes: int = MAX_BYTES, keep: int = KEEP) -> bool:
    """Copy-truncate `path` if it has grown past `max_bytes`; True if it did."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    with contextlib.suppress(FileNotFoundError):
        rotated(path, keep).unlink()
    for n in range(keep - 1, 0, -1):
        with contextlib.suppress(FileNotFoundError):
            os.replace(rotated(path, n), rotated(path, n + 1))
    with path.open("rb") as source, rotated(path, 1).open("wb") as copy:
        shutil.copyfileobj(source, copy, _CHUNK)
        while chunk := source.read(_CHUNK):  # catch up with what was written during the copy
            copy.write(chunk)
        os.truncate(path, 0)
    return True


def remove(path: Path, keep: int = KEEP) -> None:
    for candidate in (path, *(rotated(path, n) for n in range(1, keep + 1))):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


def lines(path: Path, tail: int | None = None, keep: int = KEEP) -> Iterator[str]:
    """The log's lines, oldest first, across its rotated copies; only the last `tail` when given."""
    files = [p for p in (*(rotated(path, n) for n in range(keep, 0, -1)), path) if p.is_file()]
    if tail is None:
        for file in files:
            yield from _read_all(file)
        return
    if tail <= 0:
        return
    wanted: deque[str] = deque(maxlen=tail)
    for file in reversed(files):  # newest first, until enough lines were found
        found = _last_lines(file, tail - len(wanted))
        wanted.extendleft(reversed(found))
        if len(wanted) >= tail:
            break
    yield from wanted


def _read_all(path: Path) -> Iterator[str]:
    try:
        with path.open("rb") as file:
            for raw in file:
                yield raw.rstrip(b"\r\n").decode("utf-8", "replace")
    except FileNotFoundError:
        return


def _last_lines(path: Path, count: int) -> list[str]:
    """The last `count` lines, read backwards from the end in chunks (a 10 MiB log is not read whole)."""
    try:
        with path.open("rb") as file:
            end = file.seek(0, os.SEEK_END)
            data = b""
            position = end
            while position > 0 and data.count(b"\n") <= count:
                step = min(_CHUNK, position)
                position -= step
                file.seek(position)
                data = file.read(step) + data
    except FileNotFoundError:
        return []
    pieces = data.split(b"\n")
    if pieces and not pieces[-1]:
        pieces.pop()
    if position > 0:
        pieces = pieces[1:]  # the first piece is the end of a line that started before it
    return [p.rstrip(b"\r").decode("utf-8", "replace") for p in pieces[-count:]] if count else []
