"""What `/metrics` counts of the runs when it is scraped: the runs waiting, and the leases one process
holds. One query over the unfinished runs, whichever process asks, so
every server of a shared PostgreSQL reports the same waiting runs and its own leases."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from vessel.store import schema as t
from vessel.store.records import RunPhase
from vessel.store.store import Store


@dataclass(frozen=True)
class RunCensus:
    suspended: int  # waiting for a person (resume), or for a timed suspension to end
    undriven: int  # executing, and no live lease: waiting for a controller loop to take it
    leases_held: int  # live leases of the owner asked about


def run_census(store: Store, owner: str, now: float) -> RunCensus:
    r = t.runs.c
    query = sa.select(r.phase, r.lease_owner, r.lease_expires).where(
        r.phase.in_([RunPhase.EXECUTING, RunPhase.SUSPENDING])
    )
    with store.tx() as c:
        rows = c.execute(query).all()
    live = [x for x in rows if x.lease_owner is not None and (x.lease_expires or 0.0) >= now]
    return RunCensus(
        suspended=sum(1 for x in rows if x.phase == RunPhase.SUSPENDING),
        undriven=sum(1 for x in rows if x.phase == RunPhase.EXECUTING and x not in live),
        leases_held=sum(1 for x in live if x.lease_owner == owner),
    )
