"""A small client of Redis's protocol (RESP2): commands as arrays of bulk strings, replies read back as
str, int, None, lists, or RedisError for an error reply. Enough for Vessel's own calls (AUTH, PING, ACL,
SCAN, UNLINK) and for tests, without a client library in the dependencies."""

from __future__ import annotations

import socket
from typing import Any

from vessel.errors import VesselError

MAX_BULK = 64 * 1024 * 1024


class RedisError(VesselError):
    """An error reply (`-ERR …`, `-NOPERM …`, `-WRONGPASS …`)."""


class Connection:
    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._file = self._sock.makefile("rb")

    def call(self, *args: str | int) -> Any:
        parts = [str(a).encode() for a in args]
        payload = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        self._sock.sendall(payload)
        return self._reply()

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reply(self) -> Any:
        line = self._file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("the connection closed in the middle of a reply")
        kind, body = line[:1], line[1:-2].decode("utf-8", "replace")
        if kind == b"+":
            return body
        if kind == b"-":
            raise RedisError(body)
        if kind == b":":
            return int(body)
        if kind == b"$":
            return self._bulk(int(body))
        if kind == b"*":
            count = int(body)
            return None if count < 0 else [self._reply() for _ in range(count)]
        raise ConnectionError(f"not a RESP reply: {line[:20]!r}")

    def _bulk(self, size: int) -> str | None:
        if size < 0:
            return None
        if size > MAX_BULK:
            raise ConnectionError(f"a reply of {size} bytes is more than this client reads")
        data = self._file.read(size + 2)
        return data[:-2].decode("utf-8", "replace")
