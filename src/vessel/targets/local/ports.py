"""Port numbers for replicas: one range per target, allocated under a target-wide file lock so that no two
replicas — of any object, in any `vessel` process — are ever given the same port.

A port is free when it is reserved by no object of the target (the caller lists them) and 127.0.0.1 can
bind it (with SO_REUSEADDR, so a port that only has connections in TIME_WAIT counts as free, as it does for
a server that sets the option — nearly all do). Allocation starts from a position derived from the
replica's identity, so a replica tends to get the same port again after a delete and re-create.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import threading
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from vessel.errors import Location, TargetUnavailableError, ValidationError

DEFAULT_RANGE = "20000-20999"
LOCK_FILE = ".ports.lock"


def parse_range(value: Any, target: str) -> range:
    """`"20000-20999"` (or `[20000, 20999]`) as a range of ports, both ends included."""
    try:
        if isinstance(value, str):
            low_text, _, high_text = value.partition("-")
            low, high = int(low_text), int(high_text or low_text)
        elif isinstance(value, list | tuple) and len(value) == 2:
            low, high = int(value[0]), int(value[1])
        else:
            raise ValueError(value)
    except (TypeError, ValueError):
        raise ValidationError(
            f"target {target!r}: ports must look like '20000-20999', not {value!r}",
            Location(path="config.ports"),
        ) from None
    if not 1024 <= low <= high <= 65535:
        raise ValidationError(
            f"target {target!r}: port range {low}-{high} must lie within 1024-65535",
            Location(path="config.ports"),
        )
    return range(low, high + 1)


def is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


class PortBook:
    """Allocation of the target's port range. Call `allocate` inside `locked()`, and record the ports it
    returns (in the object's state file) before leaving the block."""

    def __init__(self, root: Path, ports: range):
        self.root = root
        self.ports = ports
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._thread_lock:
            try:
                self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise TargetUnavailableError(f"{self.root}: {exc.strerror or exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def allocate(self, identities: Iterable[str], reserved: set[int]) -> list[int]:
        """One free port per identity (e.g. "default/hello/web/web-0"), none of them in `reserved`."""
        taken = set(reserved)
        chosen = []
        size = len(self.ports)
        for identity in identities:
            offset = zlib.crc32(identity.encode()) % size
            for i in range(size):
                port = self.ports[(offset + i) % size]
                if port not in taken and is_free(port):
                    chosen.append(port)
                    taken.add(port)
                    break
            else:
                raise TargetUnavailableError(
                    f"no free port left in {self.ports.start}-{self.ports.stop - 1}",
                    hint="stop some applications or give the target a larger `ports` range",
                )
        return chosen
