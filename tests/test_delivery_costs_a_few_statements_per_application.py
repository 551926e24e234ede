"""Delivering an application costs the store a small, fixed number of statements and transactions, on
SQLite and on PostgreSQL — whatever the store already holds. Each statement costs SQLAlchemy's overhead
and, on PostgreSQL, a round trip; each transaction a connection check, BEGIN and COMMIT besides. So the
store's delivery write path batches (Store's docstring): an inventory entry is one upsert, an object's
`applied` mark rides with the next transaction, a step starts with one statement that is also the check
for a person's suspend or terminate, a run finishes and lets its lease go in one write. And a submit, and
each round of driving, takes one connection from the pool for all its transactions (`Store.session`):
checking a connection out of the pool pings PostgreSQL.

The application: 3 components (4 objects) in the default workflow (3 apply-component steps), submitted and
driven to `running`: what bench/engine.py times."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa

from vessel.store import EntryState, Phase, Store
from vessel.testing.engine import Harness
from vessel.testing.sample_app import OBJECTS_PER_APP, sample_app

# Submit and drive one application, reads included (measured: 50 statements, 36 transactions; before the
# write path batched, 66 and 44).
STATEMENTS_PER_APP = 50
TRANSACTIONS_PER_APP = 36
CHECKOUTS_PER_APP = 2  # the submit, the one round of driving it takes (before: one per transaction)


@pytest.fixture
def harness(store_url: str) -> Iterator[Harness]:
    h = Harness.create(store_url)
    yield h
    h.store.close()


def deliver(h: Harness, i: int) -> tuple[int, int, int]:
    """Deliver application `i`, check it works, and say what it cost: (statements, transactions,
    connections checked out of the pool)."""
    commits, checkouts = [0], [0]

    def commit(*_: object) -> None:
        commits[0] += 1

    def checkout(*_: object) -> None:
        checkouts[0] += 1

    sa.event.listen(h.store.engine, "commit", commit)
    sa.event.listen(h.store.engine.pool, "checkout", checkout)
    before = h.store.statements
    try:
        record = h.up(sample_app(i))
        statements = h.store.statements - before
    finally:
        sa.event.remove(h.store.engine, "commit", commit)
        sa.event.remove(h.store.engine.pool, "checkout", checkout)
    assert record.phase == Phase.RUNNING, record.message
    entries = h.store.inventory(record.id)
    assert len(entries) == OBJECTS_PER_APP and {e.state for e in entries} == {EntryState.APPLIED}, entries
    assert all(h.targets["mem"].get(e.key) is not None for e in entries)
    return statements, commits[0], checkouts[0]


def test_delivering_an_application_costs_a_fixed_few_statements(harness: Harness) -> None:
    deliver(harness, 0)  # the first also stores the definitions every later revision shares
    costs = [deliver(harness, i) for i in range(1, 6)]
    assert len(set(costs)) == 1, f"the cost grows with what the store holds: {costs}"
    statements, transactions, checkouts = costs[0]
    assert statements <= STATEMENTS_PER_APP, f"{statements} statements per application"
    assert transactions <= TRANSACTIONS_PER_APP, f"{transactions} transactions per application"
    assert checkouts <= CHECKOUTS_PER_APP, f"{checkouts} connections checked out per application"


def test_the_applied_marks_are_written_before_the_store_closes(store_url: str) -> None:
    """A mark waiting for the next transaction is not lost to an orderly close."""
    h = Harness.create(store_url)
    record = h.up(sample_app(0))
    entry = h.store.inventory(record.id)[0]
    h.store.record(record.id, replace(entry, state=EntryState.APPLYING), 1.0)
    h.store.mark_applied(record.id, entry, 2.0)
    h.store.close()
    again = Store.open(store_url)
    try:
        assert {e.state for e in again.inventory(record.id)} == {EntryState.APPLIED}
    finally:
        again.close()
