"""Events after a given one, for streams that resume (`Last-Event-ID`): event ids only grow, so "every
event after id N" is exactly what a client that saw N has not seen yet — once every event with a
smaller id is committed.

One application's events are written in order by the process driving it (`events_after`). Streams over
many applications (a namespace, everything a caller may see) read every event in id order
(`all_events_after`), and there two processes sharing a PostgreSQL may commit out of order: id 41's
transaction still open when 42 is committed and sent, and a client resuming after 42 would never get
41. So such a batch stops before a missing id while the event after it is younger than `SETTLE_S`
(the missing one may still be committed); an older gap is one that never will be (a transaction rolled
back, an application deleted with its events), and is passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from vessel.store import schema as t
from vessel.store.records import Event
from vessel.store.store import Store

SETTLE_S = 2.0  # a transaction that inserted an event commits within this long


@dataclass(frozen=True)
class AppEvent:
    """An event with the application it belongs to (namespace and name None: deleted since)."""

    event: Event
    app_id: int
    namespace: str | None
    name: str | None


def events_after(store: Store, app_id: int, after: int, limit: int) -> list[Event]:
    """At most `limit` events of the application with an id above `after`, oldest first."""
    query = (
        sa.select(t.events)
        .where(t.events.c.app_id == app_id, t.events.c.id > after)
        .order_by(t.events.c.id)
        .limit(limit)
    )
    with store.tx() as c:
        rows = c.execute(query).all()
    return [Event(r.id, r.at, r.type, r.reason, r.message) for r in rows]


def all_events_after(store: Store, after: int, limit: int, now: float) -> list[AppEvent]:
    """At most `limit` events of every application with an id above `after`, oldest first, up to the
    first missing id that may still be committed (see the module's docstring)."""
    e, a = t.events.c, t.applications.c
    query = (
        sa.select(e.id, e.app_id, e.at, e.type, e.reason, e.message, a.namespace, a.name)
        .select_from(t.events.outerjoin(t.applications, a.id == e.app_id))
        .where(e.id > after)
        .order_by(e.id)
        .limit(limit)
    )
    with store.tx() as c:
        rows = c.execute(query).all()
    found: list[AppEvent] = []
    expected = after + 1
    for r in rows:
        if r.id != expected and now - r.at < SETTLE_S:
            break  # an id before this one may still be committed: wait for it
        found.append(AppEvent(Event(r.id, r.at, r.type, r.reason, r.message), r.app_id, r.namespace, r.name))
        expected = r.id + 1
    return found
