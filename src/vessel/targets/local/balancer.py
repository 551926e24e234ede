"""A TCP balancer for a Service's declared port, run as its own detached process.

    python -I -S balancer.py --port 8080 --backends /path/backends.json [--ready-fd N]

It listens on 127.0.0.1:<port> and forwards each accepted connection to the next ready replica, round
robin. The replicas come from the backends file (`{"ports": [20001, 20002]}`), which the target rewrites
whenever readiness changes; it is re-read when its modification time changes. A backend that refuses
the connection is skipped for the next one; when none accepts, the balancer retries for a few seconds
(replicas restarting) before it closes the client's connection.
With `--ready-fd`, it writes `ok` (or `error <reason>`) on that descriptor once it is listening or has
failed to. SIGTERM stops it. Standard library only: it runs without Vessel on the path.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time
from types import FrameType

CONNECT_TIMEOUT = 2.0
BACKEND_WAIT = 3.0  # how long a client waits for some backend to accept
RETRY_EVERY = 0.1
BUFFER = 64 * 1024


class Backends:
    """The ready ports, as the target last wrote them."""

    def __init__(self, path: str):
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._ports: list[int] = []
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def ports(self) -> list[int]:
        with self._lock:
            try:
                info = os.stat(self.path)
                stamp = (info.st_mtime, info.st_ino)
                if stamp != self._stamp:
                    with open(self.path, encoding="utf-8") as file:
                        raw = json.load(file)
                    self._ports = [int(p) for p in raw.get("ports", ())]
                    self._stamp = stamp
            except (OSError, ValueError, TypeError, AttributeError):
                pass  # keep the last list that could be read
            return list(self._ports)

    def rotation(self) -> list[int]:
        """The ports in the order to try them for the next connection: round robin."""
        ports = self.ports()
        if not ports:
            return []
        first = next(self._turn) % len(ports)
        return ports[first:] + ports[:first]


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until both sides have finished sending."""
    selector = selectors.DefaultSelector()
    peers = {client: upstream, upstream: client}
    for sock in peers:
        selector.register(sock, selectors.EVENT_READ)
    open_ends = 2
    try:
        while open_ends:
            for key, _ in selector.select():
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data = source.recv(BUFFER)
                except OSError:
                    data = b""
                if data:
                    try:
                        peers[source].sendall(data)
                    except OSError:
                        return
                    continue
                selector.unregister(source)
                open_ends -= 1
                with contextlib.suppress(OSError):
                    peers[source].shutdown(socket.SHUT_WR)
    finally:
        selector.close()


def _serve(client: socket.socket, backends: Backends) -> None:
    """Forward the client to the first backend that accepts, in round-robin order; while none does (all
    restarting, say), keep trying for a few seconds before giving up on the client."""
    deadline = time.monotonic() + BACKEND_WAIT
    with client:
        while True:
            for port in backends.rotation():
                try:
                    upstream = socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT)
                except OSError:
                    continue
                with upstream:
                    upstream.settimeout(None)
                    _pipe(client, upstream)
                return
            if time.monotonic() > deadline:
                return
            time.sleep(RETRY_EVERY)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vessel-balancer")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--backends", required=True)
    parser.add_argument("--ready-fd", type=int)
    args = parser.parse_args(argv)

    def report(line: str) -> None:
        if args.ready_fd is not None:
            with contextlib.suppress(OSError):
                os.write(args.ready_fd, f"{line}\n".encode())
                os.close(args.ready_fd)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((args.host, args.port))
        listener.listen(128)
    except OSError as exc:
        report(f"error {args.host}:{args.port}: {exc.strerror or exc}")
        print(
            f"vessel-balancer: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr, flush=True
        )
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    backends = Backends(args.backends)
    print(f"vessel-balancer: listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    report("ok")
    with listener:
        while True:
            try:
                client, _ = listener.accept()
            except InterruptedError:
                continue
            threading.Thread(target=_serve, args=(client, backends), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
