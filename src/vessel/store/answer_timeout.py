"""A PostgreSQL server that stops answering must not hang a command: every round trip is bounded here.

The statement timeout Vessel sets (store/connect.py) is enforced by the server, and so is of no help
when the server itself is what went silent: stopped (SIGSTOP, a frozen VM), partitioned away behind a
host whose kernel still acknowledges the bytes, a proxy that stalls. psycopg then waits for an answer
forever. So the client bounds each wait too, a little longer than the server's own timeout so that a
live server gets to say "statement timeout" first: psycopg sends every query, COMMIT and ping through
`Connection.wait`, which takes a timeout; `AnsweringConnection` always passes one. A wait that runs out
closes the connection — it is in the middle of the protocol and cannot be used again — and raises an
OperationalError saying how long the server was silent; SQLAlchemy sees a closed connection, treats it
as a disconnect and throws the pool's connections away, and the store reports an outage (store/outage.py).

This leans on `Connection.wait` being psycopg's one way of waiting for the server (true in psycopg 3.2
and 3.3, pinned in requirements.lock); tests/test_store_outages_are_waited_out.py cuts and stalls a
real server to keep it honest.
"""

from __future__ import annotations

from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.abc import PQGen
from sqlalchemy.engine import Engine

from vessel.store.outage import SILENT


class AnsweringConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends after `answer_within` seconds."""

    answer_within: float | None = None

    def wait(self, gen: PQGen[Any], interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None or self.answer_within is None:  # a wait psycopg bounds itself
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.answer_within)
        except psycopg.OperationalError as exc:
            if self.closed or "wait timeout expired" not in str(exc):
                raise
            self.close()  # mid-protocol: unusable; a closed connection is a disconnect to SQLAlchemy
            raise psycopg.OperationalError(SILENT.format(seconds=self.answer_within)) from None


def bound_answers(engine: Engine, seconds: float) -> None:
    """Make `engine` open AnsweringConnections that wait at most `seconds` for each answer."""

    def connect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        connection = AnsweringConnection.connect(*cargs, **cparams)
        connection.answer_within = seconds
        return connection

    sa.event.listen(engine, "do_connect", connect)
