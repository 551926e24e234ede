"""The store: every fact the engine needs to decide its next action, in SQLite or PostgreSQL.

One `Store` per process. Each method is one transaction. Writes are counted (`writes`), so tests and
benchmarks can check that steady state writes nothing. SQLite runs in WAL mode with a busy timeout, so
several Vessel processes can share one file; PostgreSQL is the production store.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from vessel.errors import NotFoundError
from vessel.home import vessel_home
from vessel.model.resource_key import ResourceKey
from vessel.store import schema as t
from vessel.store.records import (
    AppRecord,
    Event,
    InventoryEntry,
    Phase,
    RevisionRecord,
    RunPhase,
    RunRecord,
    StepRecord,
)
from vessel.targets.protocol import TargetInfo

MIGRATIONS = Path(__file__).parent / "migrations"
_WRITES = ("INSERT", "UPDATE", "DELETE")


def default_url() -> str:
    """VESSEL_DATABASE_URL, else a SQLite file under VESSEL_HOME (default ~/.vessel)."""
    if url := os.environ.get("VESSEL_DATABASE_URL"):
        return url
    home = vessel_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'vessel.db'}"


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.writes = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Connect and bring the schema up to date (Alembic migrations)."""
        url = url or default_url()
        engine = sa.create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
        if url.startswith("sqlite"):
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        store.migrate()
        return store

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    def _count(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() in _WRITES:
            self.writes += 1

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # --- targets ---------------------------------------------------------------------------------

    def add_target(self, info: TargetInfo, *, default: bool, now: float) -> None:
        with self.tx() as c:
            if default:
                c.execute(sa.update(t.targets).values(is_default=False))
            c.execute(
                sa.insert(t.targets).values(
                    name=info.name,
                    type=info.type,
                    labels=dict(info.labels),
                    config=dict(info.config),
                    is_default=default,
                    created_at=now,
                )
            )

    def targets(self) -> list[tuple[TargetInfo, bool]]:
        with self.tx() as c:
            rows = c.execute(sa.select(t.targets).order_by(t.targets.c.name)).all()
        return [(TargetInfo(r.name, r.type, r.labels, r.config), r.is_default) for r in rows]

    def remove_target(self, name: str) -> bool:
        with self.tx() as c:
            return c.execute(sa.delete(t.targets).where(t.targets.c.name == name)).rowcount > 0

    # --- applications and revisions ----------------------------------------------------------------

    def app(self, namespace: str, name: str) -> AppRecord | None:
        with self.tx() as c:
            row = c.execute(
                sa.select(t.applications).where(
                    t.applications.c.namespace == namespace, t.applications.c.name == name
                )
            ).first()
        return _app(row) if row else None

    def app_by_id(self, app_id: int) -> AppRecord:
        with self.tx() as c:
            row = c.execute(sa.select(t.applications).where(t.applications.c.id == app_id)).first()
        if row is None:
            raise NotFoundError(f"application {app_id} does not exist")
        return _app(row)

    def apps(self) -> list[AppRecord]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.applications).order_by(t.applications.c.namespace, t.applications.c.name)
            ).all()
        return [_app(r) for r in rows]

    def create_revision(
        self,
        namespace: str,
        name: str,
        digest: str,
        spec: Mapping[str, Any],
        definitions: Sequence[tuple[str, str, str, Mapping[str, Any]]],
        now: float,
    ) -> tuple[AppRecord, int | None]:
        """Store revision N+1 unless the latest has the same digest (then None): one transaction."""
        with self.tx() as c:
            row = c.execute(
                sa.select(t.applications)
                .where(t.applications.c.namespace == namespace, t.applications.c.name == name)
                .with_for_update()
            ).first()
            if row is not None and not row.deleting:
                latest = c.execute(
                    sa.select(t.revisions.c.digest).where(
                        t.revisions.c.app_id == row.id, t.revisions.c.number == row.latest_revision
                    )
                ).scalar()
                if latest == digest and row.revision == row.latest_revision:
                    return _app(row), None
            if row is None:
                app_id = _new_id(
                    c.execute(
                        sa.insert(t.applications).values(
                            namespace=namespace,
                            name=name,
                            revision=0,
                            latest_revision=0,
                            phase=Phase.RUNNING_WORKFLOW,
                            message="",
                            deleting=False,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                )
                number = 1
            else:
                app_id, number = row.id, row.latest_revision + 1
            self._snapshot_definitions(c, definitions)
            c.execute(
                sa.insert(t.revisions).values(
                    app_id=app_id,
                    number=number,
                    digest=digest,
                    spec=dict(spec),
                    definitions=[d[0] for d in definitions],
                    created_at=now,
                )
            )
            c.execute(
                sa.update(t.applications)
                .where(t.applications.c.id == app_id)
                .values(
                    revision=number,
                    latest_revision=number,
                    phase=Phase.RUNNING_WORKFLOW,
                    message="",
                    deleting=False,
                    updated_at=now,
                )
            )
            new = c.execute(sa.select(t.applications).where(t.applications.c.id == app_id)).one()
        return _app(new), number

    def _snapshot_definitions(self, c: Connection, definitions: Iterable[tuple[str, str, str, Any]]) -> None:
        wanted = {d[0]: d for d in definitions}
        if not wanted:
            return
        have = set(
            c.execute(
                sa.select(t.definition_snapshots.c.digest).where(t.definition_snapshots.c.digest.in_(wanted))
            ).scalars()
        )
        rows = [
            {"digest": dg, "kind": k, "name": n, "document": dict(doc)}
            for dg, (_, k, n, doc) in wanted.items()
            if dg not in have
        ]
        if rows:
            c.execute(sa.insert(t.definition_snapshots), rows)

    def revision(self, app_id: int, number: int) -> RevisionRecord:
        with self.tx() as c:
            row = c.execute(
                sa.select(t.revisions).where(t.revisions.c.app_id == app_id, t.revisions.c.number == number)
            ).first()
            if row is None:
                raise NotFoundError(f"revision {number} does not exist")
            docs = {
                r.digest: r.document
                for r in c.execute(
                    sa.select(t.definition_snapshots).where(
                        t.definition_snapshots.c.digest.in_(row.definitions)
                    )
                )
            }
        return RevisionRecord(
            row.app_id, row.number, row.digest, row.spec, [docs[d] for d in row.definitions], row.created_at
        )

    def revisions(self, app_id: int) -> list[tuple[int, str, float]]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.revisions.c.number, t.revisions.c.digest, t.revisions.c.created_at)
                .where(t.revisions.c.app_id == app_id)
                .order_by(t.revisions.c.number)
            ).all()
        return [(r.number, r.digest, r.created_at) for r in rows]

    def set_app(self, app_id: int, now: float, **values: Any) -> None:
        with self.tx() as c:
            c.execute(
                sa.update(t.applications)
                .where(t.applications.c.id == app_id)
                .values(updated_at=now, **values)
            )

    def delete_app(self, app_id: int) -> None:
        with self.tx() as c:
            for table in (t.events, t.inventory, t.revisions):
                c.execute(sa.delete(table).where(table.c.app_id == app_id))
            run_ids = sa.select(t.runs.c.id).where(t.runs.c.app_id == app_id)
            c.execute(sa.delete(t.steps).where(t.steps.c.run_id.in_(run_ids)))
            c.execute(sa.delete(t.runs).where(t.runs.c.app_id == app_id))
            c.execute(sa.delete(t.applications).where(t.applications.c.id == app_id))

    # --- runs and steps ----------------------------------------------------------------------------

    def create_run(
        self, app_id: int, revision: int, plan: dict[str, Any], steps: Iterable[StepRecord], now: float
    ) -> int:
        with self.tx() as c:
            run_id = _new_id(
                c.execute(
                    sa.insert(t.runs).values(
                        app_id=app_id,
                        revision=revision,
                        phase=RunPhase.EXECUTING,
                        message="",
                        steps=plan,
                        suspended=False,
                        terminated=False,
                        pruned=False,
                        values={},
                        created_at=now,
                    )
                )
            )
            rows = [_step_row(run_id, s) for s in steps]
            if rows:
                c.execute(sa.insert(t.steps), rows)
        return run_id

    def run(self, run_id: int) -> RunRecord:
        with self.tx() as c:
            row = c.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"workflow run {run_id} does not exist")
        return _run(row)

    def latest_run(self, app_id: int) -> RunRecord | None:
        with self.tx() as c:
            row = c.execute(
                sa.select(t.runs).where(t.runs.c.app_id == app_id).order_by(t.runs.c.id.desc()).limit(1)
            ).first()
        return _run(row) if row else None

    def update_run(self, run_id: int, **values: Any) -> None:
        with self.tx() as c:
            c.execute(sa.update(t.runs).where(t.runs.c.id == run_id).values(**values))

    def update_active_run(self, run_id: int, **values: Any) -> bool:
        """Update a run only while nobody has finished, terminated or suspended it meanwhile (a user's
        terminate or suspend between a driver's read and write must win)."""
        c_ = t.runs.c
        active: list[Any] = [c_.phase.not_in(list(RunPhase.FINISHED)), c_.terminated.is_(False)]
        if values.get("phase") != RunPhase.SUSPENDING:
            active.append(c_.suspended.is_(False))
        with self.tx() as c:
            return c.execute(sa.update(t.runs).where(c_.id == run_id, *active).values(**values)).rowcount == 1

    def acquire_lease(self, run_id: int, owner: str, now: float, ttl: float) -> bool:
        """Take (or renew) the right to drive a run; False if another live process holds it."""
        free = sa.or_(
            t.runs.c.lease_owner.is_(None), t.runs.c.lease_owner == owner, t.runs.c.lease_expires < now
        )
        with self.tx() as c:
            done = c.execute(
                sa.update(t.runs)
                .where(t.runs.c.id == run_id, free)
                .values(lease_owner=owner, lease_expires=now + ttl)
            )
        return done.rowcount == 1

    def release_lease(self, run_id: int, owner: str) -> None:
        with self.tx() as c:
            c.execute(
                sa.update(t.runs)
                .where(t.runs.c.id == run_id, t.runs.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires=None)
            )

    def release_leases(self, owner: str) -> None:
        """Give up every run this process drives (it is exiting); others may take them at once."""
        with self.tx() as c:
            c.execute(
                sa.update(t.runs)
                .where(t.runs.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires=None)
            )

    def steps(self, run_id: int) -> dict[str, StepRecord]:
        with self.tx() as c:
            rows = c.execute(sa.select(t.steps).where(t.steps.c.run_id == run_id)).all()
        return {r.name: _step(r) for r in rows}

    def save_step(self, run_id: int, step: StepRecord) -> None:
        row = _step_row(run_id, step)
        with self.tx() as c:
            c.execute(_SAVE_STEP, {"b_run_id": row.pop("run_id"), "b_name": row.pop("name"), **row})

    def unfinished_runs(self) -> list[RunRecord]:
        finished = list(RunPhase.FINISHED)
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.runs).where(t.runs.c.phase.not_in(finished)).order_by(t.runs.c.id)
            ).all()
        return [_run(r) for r in rows]

    # --- inventory ----------------------------------------------------------------------------------

    def inventory(self, app_id: int) -> list[InventoryEntry]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.inventory)
                .where(t.inventory.c.app_id == app_id)
                .order_by(t.inventory.c.target, t.inventory.c.kind, t.inventory.c.name)
            ).all()
        return [_entry(r) for r in rows]

    def holders(self, target: str, key: ResourceKey) -> dict[int, InventoryEntry]:
        """Every application's inventory entry for one object (several when it is shared), by app id."""
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.inventory).where(*_key_where(target, key)).order_by(t.inventory.c.app_id)
            ).all()
        return {r.app_id: _entry(r) for r in rows}

    def record(self, app_id: int, entry: InventoryEntry, now: float) -> None:
        """Insert or update one inventory entry (record before apply; mark applied after)."""
        values = {
            "component": entry.component,
            "revision": entry.revision,
            "state": entry.state,
            "digest": entry.digest,
            "manifest": entry.manifest,
            "role": entry.role,
            "updated_at": now,
        }
        keys = {"app_id": app_id, **_key_values(entry.target, entry.key)}
        with self.tx() as c:
            if c.execute(_UPDATE_ENTRY, {**{f"b_{k}": v for k, v in keys.items()}, **values}).rowcount == 0:
                c.execute(t.inventory.insert(), {**keys, **values})

    def set_state(self, app_id: int, target: str, key: ResourceKey, state: str, now: float) -> None:
        with self.tx() as c:
            c.execute(
                sa.update(t.inventory)
                .where(t.inventory.c.app_id == app_id, *_key_where(target, key))
                .values(state=state, updated_at=now)
            )

    def forget(self, app_id: int, target: str, key: ResourceKey) -> None:
        with self.tx() as c:
            c.execute(sa.delete(t.inventory).where(t.inventory.c.app_id == app_id, *_key_where(target, key)))

    # --- events -------------------------------------------------------------------------------------

    def add_event(self, app_id: int, type_: str, reason: str, message: str, now: float) -> None:
        with self.tx() as c:
            c.execute(
                t.events.insert(),
                {"app_id": app_id, "at": now, "type": type_, "reason": reason, "message": message},
            )

    def events(self, app_id: int, limit: int = 200) -> list[Event]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.events)
                .where(t.events.c.app_id == app_id)
                .order_by(t.events.c.id.desc())
                .limit(limit)
            ).all()
        return [Event(r.id, r.at, r.type, r.reason, r.message) for r in reversed(rows)]


# Hot-path statements, built once (building a statement costs more than executing it on SQLite).
_SAVE_STEP = (
    sa.update(t.steps)
    .where(t.steps.c.run_id == sa.bindparam("b_run_id"), t.steps.c.name == sa.bindparam("b_name"))
    .values({c.name: sa.bindparam(c.name) for c in t.steps.c if c.name not in ("run_id", "name")})
)
_ENTRY_KEY = ("app_id", "target", "api_version", "kind", "namespace", "name")
_UPDATE_ENTRY = (
    sa.update(t.inventory)
    .where(*(t.inventory.c[k] == sa.bindparam(f"b_{k}") for k in _ENTRY_KEY))
    .values({c.name: sa.bindparam(c.name) for c in t.inventory.c if c.name not in _ENTRY_KEY})
)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an INSERT returns its new primary key"
    return int(key[0])


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _app(r: Any) -> AppRecord:
    return AppRecord(
        r.id,
        r.namespace,
        r.name,
        r.revision,
        r.latest_revision,
        r.phase,
        r.message,
        r.deleting,
        r.created_at,
        r.updated_at,
        r.source_dir,
    )


def _run(r: Any) -> RunRecord:
    return RunRecord(
        r.id,
        r.app_id,
        r.revision,
        r.phase,
        r.message,
        r.steps,
        r.suspended,
        r.terminated,
        r.pruned,
        r.values,
        r.created_at,
        r.finished_at,
        r.lease_owner,
        r.lease_expires,
    )


def _step(r: Any) -> StepRecord:
    return StepRecord(
        r.name,
        r.type,
        r.parent,
        r.phase,
        r.reason,
        r.message,
        r.attempts,
        r.errors,
        r.started_at,
        r.finished_at,
        r.next_attempt_at,
        r.outputs,
    )


def _step_row(run_id: int, s: StepRecord) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "name": s.name,
        "parent": s.parent,
        "type": s.type,
        "phase": s.phase,
        "reason": s.reason,
        "message": s.message,
        "attempts": s.attempts,
        "errors": s.errors,
        "started_at": s.started_at,
        "finished_at": s.finished_at,
        "next_attempt_at": s.next_attempt_at,
        "outputs": dict(s.outputs),
    }


def _entry(r: Any) -> InventoryEntry:
    return InventoryEntry(
        r.target,
        ResourceKey(r.api_version, r.kind, r.namespace, r.name),
        r.component,
        r.revision,
        r.state,
        r.digest,
        r.manifest,
        r.role,
    )


def _key_values(target: str, key: ResourceKey) -> dict[str, str]:
    return {
        "target": target,
        "api_version": key.api_version,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
    }


def _key_where(target: str, key: ResourceKey) -> tuple[Any, ...]:
    c = t.inventory.c
    return (
        c.target == target,
        c.api_version == key.api_version,
        c.kind == key.kind,
        c.namespace == key.namespace,
        c.name == key.name,
    )
