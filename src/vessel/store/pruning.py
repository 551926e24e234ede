"""Pruning revision history: old revisions, their finished runs, and the definition snapshots no
remaining revision uses (garbage-collect `applicationRevisionLimit`).

A revision is never pruned while something refers to it: the application's current revision (what is
delivered, possibly a rollback), its latest, a revision an unfinished run delivers, or one the inventory
still holds objects of (kept legacy resources). Of the others, the `keep` newest stay — the ones a
rollback can still pick — and older ones go, as KubeVela counts its limit (in-use revisions do not
count against it).

Definition snapshots are shared by every application (deduplicated by content digest), so one is deleted
only when no revision of any application refers to it (`revision_definitions`). Concurrency: a submit
holds a share lock on the snapshots it reuses (PostgreSQL; SQLite serialises writers), and pruning
takes row locks on the snapshots it may delete before it checks their references, so a revision
created meanwhile never points at a deleted snapshot.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vessel.store import schema as t
from vessel.store.records import RunPhase


def revisions_in_use(c: Connection, app_id: int, current: int, latest: int) -> set[int]:
    runs, inventory = t.runs.c, t.inventory.c
    unfinished = sa.select(runs.revision).where(
        runs.app_id == app_id, runs.phase.not_in(list(RunPhase.FINISHED))
    )
    held = sa.select(inventory.revision).where(inventory.app_id == app_id).distinct()
    return {current, latest, *c.execute(unfinished).scalars(), *c.execute(held).scalars()}


def prune_revisions(c: Connection, app_id: int, doomed: Collection[int]) -> None:
    """Delete revisions `doomed` of the application, their (finished) runs and steps, and the snapshots
    only they used."""
    if not doomed:
        return
    links = t.revision_definitions.c
    digests = set(
        c.execute(sa.select(links.digest).where(links.app_id == app_id, links.number.in_(doomed))).scalars()
    )
    runs = sa.select(t.runs.c.id).where(t.runs.c.app_id == app_id, t.runs.c.revision.in_(doomed))
    c.execute(sa.delete(t.steps).where(t.steps.c.run_id.in_(runs)))
    c.execute(sa.delete(t.runs).where(t.runs.c.app_id == app_id, t.runs.c.revision.in_(doomed)))
    c.execute(sa.delete(t.revision_definitions).where(links.app_id == app_id, links.number.in_(doomed)))
    c.execute(sa.delete(t.revisions).where(t.revisions.c.app_id == app_id, t.revisions.c.number.in_(doomed)))
    prune_snapshots(c, digests)


def prune_snapshots(c: Connection, digests: Collection[str]) -> None:
    """Delete the snapshots among `digests` that no revision refers to any more."""
    if not digests:
        return
    snapshots = t.definition_snapshots.c
    locking = sa.select(snapshots.digest).where(snapshots.digest.in_(digests)).order_by(snapshots.digest)
    c.execute(locking.with_for_update()).all()  # in digest order: two pruners never deadlock
    used = sa.select(t.revision_definitions.c.digest).where(t.revision_definitions.c.digest.in_(digests))
    c.execute(
        sa.delete(t.definition_snapshots).where(snapshots.digest.in_(digests), snapshots.digest.not_in(used))
    )


def snapshot_definitions(
    c: Connection, app_id: int, number: int, definitions: Mapping[str, Mapping[str, Any]]
) -> None:
    """Store the definition documents (by digest) a new revision uses, and its references to them."""
    if not definitions:
        return
    snapshots = t.definition_snapshots.c
    have = set(
        c.execute(
            sa.select(snapshots.digest)
            .where(snapshots.digest.in_(definitions))
            .order_by(snapshots.digest)
            .with_for_update(read=True)
        ).scalars()
    )
    missing = [row for digest, row in definitions.items() if digest not in have]
    if missing:
        c.execute(insert_if_absent(c, t.definition_snapshots, ["digest"]), missing)
    c.execute(
        sa.insert(t.revision_definitions),
        [{"app_id": app_id, "number": number, "digest": digest} for digest in definitions],
    )


def insert_if_absent(c: Connection, table: sa.Table, keys: list[str]) -> sa.Insert:
    """INSERT … ON CONFLICT (keys) DO NOTHING, on SQLite or PostgreSQL."""
    if c.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # a SQLite store never loads PostgreSQL's dialect

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
