"""Events after a given one, for streams that resume (`Last-Event-ID`): event ids only grow, so "every
event of this application after id N" is exactly what a client that saw N has not seen yet."""

from __future__ import annotations

import sqlalchemy as sa

from vessel.store import schema as t
from vessel.store.records import Event
from vessel.store.store import Store


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
