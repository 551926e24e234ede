"""What the delivery keys are computed from (controller/stats.py): every workflow run kept, with when
its revision was created, and every phase change an application went through (its `Phase` events)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from vessel.store import schema as t
from vessel.store.store import Store


@dataclass(frozen=True)
class RunFact:
    app_id: int
    run_id: int
    revision: int
    phase: str
    created_at: float
    finished_at: float | None
    revision_created_at: float | None  # None: the revision was pruned since


@dataclass(frozen=True)
class PhaseChange:
    app_id: int
    at: float
    message: str  # "before -> after[: why]", as the controller writes it


def run_facts(store: Store, app_id: int | None = None) -> list[RunFact]:
    """Every run kept, by application and in the order they started."""
    r, v = t.runs.c, t.revisions.c
    query = (
        sa.select(
            r.app_id, r.id, r.revision, r.phase, r.created_at, r.finished_at, v.created_at.label("rev_at")
        )
        .select_from(t.runs.outerjoin(t.revisions, sa.and_(v.app_id == r.app_id, v.number == r.revision)))
        .order_by(r.app_id, r.id)
    )
    if app_id is not None:
        query = query.where(r.app_id == app_id)
    with store.tx() as c:
        rows = c.execute(query).all()
    return [RunFact(x.app_id, x.id, x.revision, x.phase, x.created_at, x.finished_at, x.rev_at) for x in rows]


def phase_changes(store: Store, app_id: int | None = None) -> list[PhaseChange]:
    """Every phase change kept, by application and in order."""
    e = t.events.c
    query = sa.select(e.app_id, e.at, e.message).where(e.reason == "Phase").order_by(e.app_id, e.id)
    if app_id is not None:
        query = query.where(e.app_id == app_id)
    with store.tx() as c:
        return [PhaseChange(x.app_id, x.at, x.message) for x in c.execute(query)]
