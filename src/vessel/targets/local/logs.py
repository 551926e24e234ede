"""Replica log files: appended to by the processes themselves, rotated by copy-truncate, read back by tail.

A replica writes stdout and stderr to `logs/<replica>.log`, opened in append mode, so truncating the file
under it is safe: its next write lands at the new end. Past `MAX_BYTES` the file is copied to `.1` (older
copies shift to `.2`, `.3`; the oldest is dropped) and truncated. Rotation happens whenever the target is
called (`apply`/`get`); a process that writes faster than that can overshoot the limit in between.

`follow` reads the files like `tail -F`: it looks for appended bytes every `POLL` seconds, notices a
copy-truncate by the file shrinking (and then reads the bytes it had not seen yet from the copy, so no
line is lost), and follows a file that is created — or re-created — later from its first byte. Were a
file truncated and then written past the point reading had reached between two looks, the lines
before that point would be missed, as `tail -F` misses them.

Each line starts with the time it was written (the shim stamps it: `2024-05-01T12:00:00.123456Z text`).
`shown` turns a stored line into what `vessel logs` prints: the text alone, or with its time
(`--timestamps`), and nothing when it is older than a `--since` cutoff. Fixed-width UTC stamps compare
as strings, so filtering parses no dates. A line without a stamp (written before replicas' lines were
stamped) is shown as it is, and left out by `--since`, since when it was written is unknown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

MAX_BYTES = 10 * 1024 * 1024
KEEP = 3
POLL = 0.2  # seconds between two looks at followed files that had nothing new
_CHUNK = 64 * 1024
_READ_MAX = 1024 * 1024  # bytes read from one followed file per look


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
    copy_fd = os.open(rotated(path, 1), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with path.open("rb") as source, os.fdopen(copy_fd, "wb") as copy:
        shutil.copyfileobj(source, copy, _CHUNK)
        while chunk := source.read(_CHUNK):  # catch up with what was written during the copy
            copy.write(chunk)
        os.truncate(path, 0)
    return True


def remove(path: Path, keep: int = KEEP) -> None:
    for candidate in (path, *(rotated(path, n) for n in range(1, keep + 1))):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


def lines(path: Path, tail: int | None = None, keep: int = KEEP, end: int | None = None) -> Iterator[str]:
    """The log's lines, oldest first, across its rotated copies; only the last `tail` when given. `end`:
    where reading `path` itself stops (its end, by default)."""
    files = [p for p in (*(rotated(path, n) for n in range(keep, 0, -1)), path) if p.is_file()]
    if tail is None:
        for file in files:
            yield from _read_all(file, end if file == path else None)
        return
    if tail <= 0:
        return
    wanted: deque[str] = deque(maxlen=tail)
    for file in reversed(files):  # newest first, until enough lines were found
        found = _last_lines(file, tail - len(wanted), end if file == path else None)
        wanted.extendleft(reversed(found))
        if len(wanted) >= tail:
            break
    yield from wanted


def follow(
    replicas: Callable[[], Mapping[str, Path] | None],
    tail: int | None = None,
    keep: int = KEEP,
    poll: float = POLL,
) -> Iterator[tuple[str, str]]:
    """(replica, line) pairs: each log's last `tail` lines (every line when None), then the lines
    written afterwards, as they are completed (a line without its newline yet is held back).
    `replicas` — the log file of each replica by name — is asked again after every look: a replica
    that appears is followed from its file's first byte, one that goes is dropped, and the iterator ends
    when it answers None (the object is gone). Replicas are read in turn; nothing runs in a thread."""
    current = replicas()
    if current is None:
        return
    followed: dict[str, _Followed] = {}
    for name, path in current.items():
        followed[name] = _Followed(path)
        for line in lines(path, tail, keep, followed[name].skip_to_last_line()):
            yield name, line
    while True:
        busy = False
        for name, path in current.items():
            if name not in followed or followed[name].path != path:
                followed[name] = _Followed(path)
            found, more = followed[name].read()
            busy |= more
            for line in found:
                yield name, line
        if not busy:
            time.sleep(poll)
        current = replicas()
        if current is None:
            return
        followed = {n: f for n, f in followed.items() if n in current}


class _Followed:
    """One followed file: which file (inode) was read, how far, and the start of an unfinished line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inode: int | None = None  # None: not seen yet, so read from its first byte when it appears
        self.position = 0
        self.partial = b""

    def skip_to_last_line(self) -> int:
        """Start following after the file's last complete line (an unfinished one is read when done)."""
        try:
            with self.path.open("rb") as file:
                self.inode = os.fstat(file.fileno()).st_ino
                self.position = _after_last_newline(file)
        except FileNotFoundError:
            pass
        return self.position

    def read(self) -> tuple[list[str], bool]:
        """The lines completed since the last read, and whether more bytes may be waiting already."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return [], False
        data = b""
        if stat.st_ino != self.inode:  # first seen, or re-created: from its start
            data, self.partial = (self.partial + b"\n" if self.partial else b""), b""
            self.inode, self.position = stat.st_ino, 0
        elif stat.st_size < self.position:  # copy-truncated: what was not read yet is at the end of .1
            data, self.position = _read_from(rotated(self.path, 1), self.position, None), 0
        chunk = _read_from(self.path, self.position, _READ_MAX)
        self.position += len(chunk)
        *complete, self.partial = (self.partial + data + chunk).split(b"\n")
        return [_decode(raw) for raw in complete], len(chunk) == _READ_MAX


def _read_from(path: Path, position: int, size: int | None) -> bytes:
    try:
        with path.open("rb") as file:
            file.seek(position)
            return file.read(-1 if size is None else size)
    except FileNotFoundError:
        return b""


def _after_last_newline(file: BinaryIO) -> int:
    """The position just after the last newline of an open file (0 without any)."""
    position = file.seek(0, os.SEEK_END)
    while position > 0:
        step = min(_CHUNK, position)
        file.seek(position - step)
        newline = file.read(step).rfind(b"\n")
        if newline >= 0:
            return position - step + newline + 1
        position -= step
    return 0


def _decode(raw: bytes) -> str:
    return raw.rstrip(b"\r").decode("utf-8", "replace")


def _read_all(path: Path, end: int | None = None) -> Iterator[str]:
    try:
        with path.open("rb") as file:
            remaining = end
            for raw in file:
                if remaining is not None:
                    if remaining <= 0:
                        return
                    raw, remaining = raw[:remaining], remaining - len(raw)
                yield _decode(raw.rstrip(b"\n"))
    except FileNotFoundError:
        return


def _last_lines(path: Path, count: int, end: int | None = None) -> list[str]:
    """The last `count` lines before `end` (default: the end of the file), read backwards in chunks (a
    10 MiB log is not read whole)."""
    try:
        with path.open("rb") as file:
            end = file.seek(0, os.SEEK_END) if end is None else end
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
    return [_decode(p) for p in pieces[-count:]] if count else []


STAMP_WIDTH = len("2024-05-01T12:00:00.123456Z")


def stamp_of(moment: float) -> str:
    """The stamp of a line written at `moment` (seconds since the epoch)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def split_stamp(line: str) -> tuple[str | None, str]:
    """(when the line was written, its text); None when the line carries no stamp."""
    head = line[:STAMP_WIDTH]
    stamped = (
        len(line) > STAMP_WIDTH
        and line[STAMP_WIDTH] == " "
        and head.endswith("Z")
        and head[10] == "T"
        and head[:4].isdigit()
    )
    return (head, line[STAMP_WIDTH + 1 :]) if stamped else (None, line)


def shown(line: str, cutoff: str | None, timestamps: bool) -> str | None:
    """What `vessel logs` prints of a stored line: None if it is older than `cutoff` (a stamp)."""
    stamp, text = split_stamp(line)
    if cutoff is not None and (stamp is None or stamp < cutoff):
        return None
    return f"{stamp} {text}" if timestamps and stamp is not None else text
