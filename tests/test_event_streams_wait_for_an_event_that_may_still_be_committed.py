"""Streams over many applications read every event in id order, and with several servers on one
PostgreSQL an event may be committed after one with a higher id was already sent: a client resuming
after the higher id would never get it. So a batch stops before a missing id while the event after it is
recent (it may still be committed), and goes past a missing id once the event after it is older than
`SETTLE_S` (a rolled-back transaction, an application deleted with its events)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from step_apps import application
from vessel.store import schema as t
from vessel.store.event_stream import SETTLE_S, all_events_after
from vessel.testing.engine import Harness


def test_a_recent_gap_holds_the_batch_and_an_old_one_does_not(tmp_path: Path) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    app = h.up(application())
    h.up(application(name="wf2"))
    kept = [e.event.id for e in all_events_after(h.store, 0, 1000, h.clock.now() + SETTLE_S)]
    assert len(kept) >= 3
    missing = kept[1]
    with h.store.tx() as c:  # as if its transaction had not committed yet
        c.execute(sa.delete(t.events).where(t.events.c.id == missing))
    recent = max(e.event.at for e in all_events_after(h.store, 0, 1000, 1e12))
    held = [e.event.id for e in all_events_after(h.store, 0, 1000, recent + SETTLE_S / 2)]
    assert held == kept[:1]
    passed = [e.event.id for e in all_events_after(h.store, 0, 1000, recent + SETTLE_S * 2)]
    assert passed == [i for i in kept if i != missing]
    named = {(e.app_id, e.namespace, e.name) for e in all_events_after(h.store, 0, 1000, 1e12)}
    assert (app.id, "default", "wf") in named and len(named) == 2
