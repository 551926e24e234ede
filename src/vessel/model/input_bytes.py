"""The bytes of an input file, read so that no kind of file can hang the command or exhaust memory.

`-f` and definition paths are usually regular files, read at once. Anything else is read as a stream:
a FIFO or a process substitution (`vessel up -f <(helm template …)`) is a fair way to hand Vessel its
input, but a FIFO nobody writes to used to block `vessel up` forever in `open`. So the file is opened
non-blocking (opening a FIFO then never waits), and a stream is read with `poll`: if nothing arrives for
`STREAM_IDLE_SECONDS` the read gives up with an error that says so. A device that never ends (`/dev/zero`)
stops at the size cap like any large file; a directory is refused.
"""

from __future__ import annotations

import os
import select
import stat
import time

from vessel.errors import Location, ParseError

STREAM_IDLE_SECONDS = 10.0  # how long a FIFO or device may stay silent before reading gives up
CHUNK = 64 * 1024


def read_bytes(path: str, most: int) -> bytes:
    """Up to `most` bytes of the file at `path` (OSError as `open` raises it; ParseError for a directory
    or a stream that stays silent)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ParseError("is a directory: give the path of a YAML file", Location(path))
        if stat.S_ISREG(mode):
            os.set_blocking(fd, True)
            return _read_all(fd, most)
        return _read_stream(fd, most, path)
    finally:
        os.close(fd)


def _read_all(fd: int, most: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < most:
        chunk = os.read(fd, min(CHUNK, most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_stream(fd: int, most: int, path: str) -> bytes:
    """Read until end of file, `most` bytes, or `STREAM_IDLE_SECONDS` without anything arriving."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    chunks: list[bytes] = []
    size = 0
    while size < most:
        if not _ready(poller, STREAM_IDLE_SECONDS):
            raise ParseError(
                f"nothing was written to it for {STREAM_IDLE_SECONDS:g}s (a FIFO no process writes to?)",
                Location(path),
            )
        try:
            chunk = os.read(fd, min(CHUNK, most - size))
        except BlockingIOError:
            continue
        if not chunk:  # end of file: the writer closed it
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _ready(poller: select.poll, seconds: float) -> bool:
    """Whether data or the writer's hang-up arrives within `seconds` (with no writer yet, neither does)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if poller.poll(left * 1000):
            return True
    return False
