"""A network link to PostgreSQL that a test can cut, stall and restore: the fake beside the store's seam.

Outage tests must act on evidence, never on a timer: "cut the database while a step's result is being
committed" is only a test if the cut provably lands there. `DatabaseLink` is a TCP proxy in the test
process between Vessel and a real PostgreSQL; it understands just enough of the wire protocol (each
client message is a type byte and a length) to act at a chosen message:

- `cut()`: every connection is closed and new ones are refused (the port stops listening): the database
  is gone, as when it restarts or the network fails;
- `stall()`: nothing is relayed any more, in either direction, and new connections are accepted but never
  answered: a server that accepts TCP and never answers;
- `restore()`: back to relaying (after a cut, new connections work; stalled ones go on);
- `cut_at_commit(marker, committed=...)`: the next COMMIT of a transaction whose statements contain
  `marker` (e.g. b"UPDATE steps") cuts the link — after the server committed it and before the client
  hears so (`committed=True`: the outcome is unknown to the client, but saved), or before the server
  sees the COMMIT (`committed=False`: not saved);
- `stall_at(marker)`: the link stalls as the first message containing `marker` is sent (the server never
  sees it).

Each trigger returns a `threading.Event` set when it has fired: the evidence a test waits on.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

_COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # the simple query psycopg sends to commit
_COMMITTED = b"C\x00\x00\x00\x0bCOMMIT\x00"  # the server's CommandComplete for it
_OPEN, _STALLED, _CUT = "open", "stalled", "cut"


@dataclass
class _Trigger:
    marker: bytes
    action: str  # "cut-committed" | "cut-uncommitted" | "stall"
    fired: threading.Event = field(default_factory=threading.Event)


class _Pair:
    """One client connection and its connection to the server."""

    def __init__(self, client: socket.socket, server: socket.socket):
        self.client, self.server = client, server
        self.statements = bytearray()  # what the client sent in its current transaction
        self.swallow_commit: _Trigger | None = None  # cut once the server committed, before the client hears

    def close(self) -> None:
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class DatabaseLink:
    """A TCP proxy to `upstream` (host, port) on a free local port; see the module docstring."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0
        self.state = _OPEN
        self.connections = 0  # accepted so far (evidence that a client came back)
        self._lock = threading.Condition()
        self._pairs: set[_Pair] = set()
        self._triggers: list[_Trigger] = []
        self._listener: socket.socket | None = None
        self._closed = False
        self._listen()

    @classmethod
    def to(cls, url: str) -> tuple[DatabaseLink, str]:
        """A link to the server of a SQLAlchemy `url`, and the same URL through the link."""
        parsed = make_url(url)
        link = cls((parsed.host or "127.0.0.1", parsed.port or 5432))
        through = parsed.set(host="127.0.0.1", port=link.port)
        return link, through.render_as_string(hide_password=False)

    # --- what tests do ------------------------------------------------------------------------------

    def cut(self) -> None:
        with self._lock:
            self._cut_locked()

    def stall(self) -> None:
        with self._lock:
            self.state = _STALLED
            self._lock.notify_all()

    def restore(self) -> None:
        with self._lock:
            if self.state == _CUT:
                self._listen()
            self.state = _OPEN
            self._lock.notify_all()

    def cut_at_commit(self, marker: bytes, *, committed: bool) -> threading.Event:
        return self._arm(_Trigger(marker, "cut-committed" if committed else "cut-uncommitted"))

    def stall_at(self, marker: bytes) -> threading.Event:
        return self._arm(_Trigger(marker, "stall"))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._cut_locked()

    # --- relaying -----------------------------------------------------------------------------------

    def _arm(self, trigger: _Trigger) -> threading.Event:
        with self._lock:
            self._triggers.append(trigger)
        return trigger.fired

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _cut_locked(self) -> None:
        self.state = _CUT
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for pair in list(self._pairs):
            pair.close()
        self._pairs.clear()
        self._lock.notify_all()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut or closed: the listener is gone
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, server)
            with self._lock:
                if self.state == _CUT:
                    pair.close()
                    continue
                self._pairs.add(pair)
                self.connections += 1
            threading.Thread(target=self._relay_client, args=(pair,), daemon=True).start()
            threading.Thread(target=self._relay_server, args=(pair,), daemon=True).start()

    def _wait_open(self, pair: _Pair) -> bool:
        """Block while stalled; False once the link (or this pair) is cut."""
        with self._lock:
            while self.state == _STALLED and pair in self._pairs:
                self._lock.wait()
            return self.state == _OPEN and pair in self._pairs

    def _relay_client(self, pair: _Pair) -> None:
        for message in _Messages(pair.client):
            if not self._wait_open(pair) or not self._client_message(pair, message):
                return
            try:
                pair.server.sendall(message)
            except OSError:
                return

    def _client_message(self, pair: _Pair, message: bytes) -> bool:
        """Act on one client message before it is relayed; False if it must not be."""
        with self._lock:
            if message == _COMMIT:
                fired = self._fire(pair.statements, ("cut-committed", "cut-uncommitted"))
                pair.statements.clear()
                if fired is not None and fired.action == "cut-uncommitted":
                    self._cut_locked()
                    fired.fired.set()
                    return False
                pair.swallow_commit = fired
                return True
            pair.statements += message
            stall = self._fire(message, ("stall",))
            if stall is not None:
                self.state = _STALLED
                stall.fired.set()
                return False
            return True

    def _fire(self, seen: bytes | bytearray, actions: tuple[str, ...]) -> _Trigger | None:
        for trigger in self._triggers:
            if trigger.action in actions and trigger.marker in seen:
                self._triggers.remove(trigger)
                return trigger
        return None

    def _relay_server(self, pair: _Pair) -> None:
        while True:
            try:
                data = pair.server.recv(65536)
            except OSError:
                return
            if not data or not self._wait_open(pair):
                return
            if pair.swallow_commit is not None and _COMMITTED in data:
                with self._lock:
                    self._cut_locked()  # the server committed; the client never hears it
                pair.swallow_commit.fired.set()
                return
            try:
                pair.client.sendall(data)
            except OSError:
                return


class _Messages:
    """The client's messages, one at a time: the untyped start-up ones, then typed ones."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.started = False

    def __iter__(self) -> _Messages:
        return self

    def __next__(self) -> bytes:
        if not self.started:
            head = self._read(4)
            body = self._read(struct.unpack("!I", head)[0] - 4)
            code = struct.unpack("!I", body[:4])[0] if len(body) >= 4 else 0
            self.started = code not in (80877103, 80877104)  # SSL and GSS requests come before start-up
            return head + body
        head = self._read(5)
        return head + self._read(struct.unpack("!I", head[1:])[0] - 4)

    def _read(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except OSError:
                raise StopIteration from None
            if not chunk:
                raise StopIteration
            data += chunk
        return bytes(data)
