"""What the web app and the worker share: the orders table, and a few lines of Redis's protocol (RESP)
so that the example needs no Redis client library — only psycopg, which Vessel already depends on.

Both read their credentials from the environment the `uses` trait fills in: DATABASE_URL for
PostgreSQL, REDIS_HOST/REDIS_PORT/REDIS_USERNAME/REDIS_PASSWORD and REDIS_KEY_PREFIX for Redis (the
application may only touch keys under its prefix).
"""

from __future__ import annotations

import os
import socket

import psycopg

JOBS = os.environ.get("REDIS_KEY_PREFIX", "") + "jobs"


def database() -> psycopg.Connection:
    """A connection to the application's own database, with the orders table created once."""
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    with conn.transaction():  # the web and the worker start together: one creates the table
        conn.execute("SELECT pg_advisory_xact_lock(7)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS orders"
            " (id serial PRIMARY KEY, item text NOT NULL, status text NOT NULL DEFAULT 'queued')"
        )
    return conn


class Redis:
    """A connection to the shared Redis, logged in as the application's own user."""

    def __init__(self, timeout: float = 10.0):
        self.sock = socket.create_connection(
            (os.environ["REDIS_HOST"], int(os.environ["REDIS_PORT"])), timeout=timeout
        )
        self.replies = self.sock.makefile("rb")
        self.call("AUTH", os.environ["REDIS_USERNAME"], os.environ["REDIS_PASSWORD"])

    def call(self, *args: str | int) -> object:
        parts = [str(a).encode() for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        return self.reply()

    def reply(self) -> object:
        line = self.replies.readline()
        kind, body = line[:1], line[1:-2].decode()
        if kind == b"-":
            raise RuntimeError(f"redis: {body}")
        if kind == b":":
            return int(body)
        if kind == b"$":
            return None if int(body) < 0 else self.replies.read(int(body) + 2)[:-2].decode()
        if kind == b"*":
            return None if int(body) < 0 else [self.reply() for _ in range(int(body))]
        if kind == b"+":
            return body
        raise ConnectionError("redis closed the connection")
