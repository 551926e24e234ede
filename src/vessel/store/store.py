"""The store: every fact the engine needs to decide its next action, in SQLite or PostgreSQL.

Secrets (`model.redaction`): every free text written here — step, run and application messages, events,
a failed delete's error — is redacted by value on its way in, and every inventory manifest read or
recorded teaches this process the values of a Secret it holds. Manifests, specs and step outputs are
stored as they are: re-applying, rolling back and passing values between steps need them whole.

One `Store` per process. Each method is one transaction, and a database failure in it is one
`StoreUnavailableError` — a `StoreOutageError` when it passes (connection lost, no answer in time, disk
full, locked; store/outage.py), which callers that drive work wait out. Writes are counted (`writes`),
so tests and benchmarks can check that steady state writes nothing; so are all statements
(`statements`), reads too, so they can check what a reconcile pass asks of the store. SQLite runs in
WAL mode with a busy timeout, so several Vessel processes can share one file; PostgreSQL is the
production store.

Delivery writes little, in few round trips (each transaction costs a connection check, BEGIN and COMMIT
besides its statements, and on PostgreSQL every one is a round trip): an inventory entry is one upsert; an
object's "applied" mark rides with the next transaction this thread makes (`mark_applied`), as nothing
is lost if a crash drops it; a step starts with one conditional UPDATE that is also the check that no
person suspended or terminated its run (`start_step`); a run finishes and lets its lease go in one
statement; and pruning revisions reads one count when there is nothing to prune.
tests/test_delivery_costs_a_few_statements_per_application.py keeps the count.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vessel.errors import NotFoundError, StaleVersionError
from vessel.model.redaction import redact, remember_object
from vessel.model.resource_key import ResourceKey, canonical_kind
from vessel.store import pruning
from vessel.store import read_statements as reads
from vessel.store import schema as t
from vessel.store.connect import create_engine, translating
from vessel.store.location import default_url
from vessel.store.outage import translated
from vessel.store.records import (
    AppRecord,
    EntryState,
    EntryVersion,
    Event,
    InventoryEntry,
    Phase,
    RevisionRecord,
    RunPhase,
    RunRecord,
    RunState,
    StepRecord,
)
from vessel.store.rows import (
    app_record,
    event_record,
    inventory_entry,
    run_record,
    step_record,
    target_record,
)
from vessel.store.schema_version import MIGRATIONS as MIGRATIONS
from vessel.store.schema_version import is_current
from vessel.targets.protocol import TargetInfo

MIGRATION_LOCK = 0x76657373  # PostgreSQL advisory lock held while migrating ("vess")
_WRITES = ("INSERT", "UPDATE", "DELETE")


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.writes = 0
        self.statements = 0  # every SQL statement, reads too: what a pass costs the store
        self._sqlite = engine.dialect.name == "sqlite"
        self._local = threading.local()  # per thread: marks its next transaction writes; its session
        self._upsert_entry = _upsert(engine.dialect.name, t.inventory, _ENTRY_KEY)
        sa.event.listen(engine, "before_cursor_execute", self._count)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Connect and bring the schema up to date (Alembic migrations). Any problem doing so is one
        StoreUnavailableError naming the cause and what to do (store/connect.py)."""
        text = url or default_url()
        with translating(text):
            engine = create_engine(text)
            try:
                store = cls(engine)
                store.migrate()
            except BaseException:
                engine.dispose()
                raise
        return store

    def migrate(self) -> None:
        """Upgrade the schema to head. Processes opening a new store at once migrate it once: the first
        takes a lock, the others wait for it and then find the schema at head."""
        with self.engine.connect() as conn:
            if is_current(conn):
                return  # reading the version writes nothing, and needs no Alembic (store/schema_version.py)
        from alembic import command  # only a store that is not current pays for importing Alembic
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.write_tx() as conn:
            if not self._sqlite:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def schema_current(self) -> bool:
        """Whether the schema is at this Vessel's newest migration (the store answering, too: a failure
        to ask raises as `tx` says)."""
        with self.tx() as conn:
            return is_current(conn)

    def close(self) -> None:
        if self._pending_marks():
            with self.tx():
                pass  # writes them
        self.engine.dispose()

    def _count(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self.statements += 1
        if statement.lstrip()[:6].upper() in _WRITES:
            self.writes += 1

    @contextmanager
    def session(self) -> Iterator[None]:
        """The transactions this thread makes inside the block share one connection, checked out (on
        PostgreSQL: pinged) once rather than once each — a workflow pass makes dozens. Each is still its
        own transaction, committed as it ends. Inside another session: that one's connection."""
        if getattr(self._local, "connection", None) is not None:
            yield
            return
        try:
            connection = self.engine.connect()
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            error = translated(exc, self.engine.url, False)
            if error is exc:
                raise
            raise error from None
        with connection:
            self._local.connection = connection
            try:
                yield
            finally:
                self._local.connection = None

    @contextmanager
    def tx(self, immediate: bool = False) -> Iterator[Connection]:
        """One transaction; a database failure in it raises as store/outage.py says (whether it came
        while committing is noted: then the transaction's writes may or may not have been saved)."""
        committing = False
        marks = self._pending_marks()
        written = len(marks)
        try:
            with self._begin() as conn:
                if immediate:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                if written:
                    conn.execute(_UPDATE_ENTRY, marks[:written])
                yield conn
                committing = True
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            error = translated(exc, self.engine.url, committing)
            if error is exc:
                raise
            raise error from None
        del marks[:written]  # committed (a failed transaction keeps them for the next)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction on this thread's session's connection, else on one from the pool."""
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            with self.engine.begin() as conn:
                yield conn
        else:
            with connection.begin():
                yield connection

    def write_marks(self) -> None:
        """Write the marks waiting for this thread's next transaction now: a thread about to end (a
        deploy's worker) makes none, and marks left waiting in it would be lost with it."""
        if self._pending_marks():
            with self.tx():
                pass  # writes them

    def lose_unwritten(self) -> None:
        """Drop the marks waiting for this thread's next transaction, as a process killed now loses
        them (`testing.engine.Harness.restart` simulates that death)."""
        self._pending_marks().clear()

    def _pending_marks(self) -> list[dict[str, Any]]:
        marks: list[dict[str, Any]] | None = getattr(self._local, "marks", None)
        if marks is None:
            marks = self._local.marks = []
        return marks

    def write_tx(self) -> AbstractContextManager[Connection]:
        """A transaction that decides what to write from what it reads. On SQLite it takes the write lock
        up front (BEGIN IMMEDIATE): a concurrent one waits for it, then reads what it committed. On
        PostgreSQL the transaction locks the rows it reads (FOR UPDATE) or an advisory lock."""
        return self.tx(immediate=self._sqlite)

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
            rows = c.execute(reads.TARGETS).all()
        return [target_record(r) for r in rows]

    def set_default_target(self, name: str | None) -> None:
        """Make the registered target `name` the only default (None: none, so `local` is)."""
        with self.tx() as c:
            c.execute(sa.update(t.targets).values(is_default=t.targets.c.name == name if name else False))

    def holdings(self, target: str) -> list[tuple[str, str, int]]:
        """(namespace, name, object count) of every application with objects on `target`."""
        a, i = t.applications.c, t.inventory.c
        with self.tx() as c:
            rows = c.execute(
                sa.select(a.namespace, a.name, sa.func.count())
                .join_from(t.inventory, t.applications, i.app_id == a.id)
                .where(i.target == target)
                .group_by(a.namespace, a.name)
                .order_by(a.namespace, a.name)
            ).all()
        return [(r[0], r[1], int(r[2])) for r in rows]

    def remove_target(self, name: str) -> bool:
        with self.tx() as c:
            return c.execute(sa.delete(t.targets).where(t.targets.c.name == name)).rowcount > 0

    # --- applications and revisions ----------------------------------------------------------------

    def app(self, namespace: str, name: str) -> AppRecord | None:
        with self.tx() as c:
            row = c.execute(reads.APP, {"namespace": namespace, "name": name}).first()
        return app_record(row) if row else None

    def app_by_id(self, app_id: int) -> AppRecord:
        with self.tx() as c:
            row = c.execute(sa.select(t.applications).where(t.applications.c.id == app_id)).first()
        if row is None:
            raise NotFoundError(f"application {app_id} does not exist")
        return app_record(row)

    def apps(self) -> list[AppRecord]:
        with self.tx() as c:
            rows = c.execute(reads.APPS).all()
        return [app_record(r) for r in rows]

    def create_revision(
        self,
        namespace: str,
        name: str,
        digest: str,
        spec: Mapping[str, Any],
        definitions: Sequence[tuple[str, str, str, Mapping[str, Any]]],
        now: float,
        plan: dict[str, Any],
        steps: Iterable[StepRecord],
        default_target: str | None = None,
        expected_latest: int | None = None,
    ) -> tuple[AppRecord, int | None, int | None]:
        """Store revision N+1 and start its workflow run, in one transaction: (app, N+1, run id). If the
        latest revision has the same digest nothing is stored: (app, None, None).

        Safe when several processes submit the same application at once: the application row is
        inserted if absent and then locked (SQLite: the write lock is taken up front), so the first
        creates the revision and the others find it and store nothing. The run is created with its
        revision, so whoever sees the revision also sees the run to watch. `default_target` is
        recorded with it: where "no topology" places this revision, for good. With `expected_latest`,
        a latest revision other than that one (0: none yet) is a StaleVersionError, and nothing is
        stored: checked under the lock, so of two changes made against one version only one lands."""
        with self.write_tx() as c:
            row = self._locked_app(c, namespace, name, now)
            if expected_latest is not None and row.latest_revision != expected_latest:
                raise StaleVersionError(
                    f"application {namespace}/{name} is at revision {row.latest_revision}, "
                    f"not {expected_latest} as the request expects",
                    hint="read it again (its ETag), then apply",
                )
            if not row.deleting and row.latest_revision and row.revision == row.latest_revision:
                latest = c.execute(
                    sa.select(t.revisions.c.digest).where(
                        t.revisions.c.app_id == row.id, t.revisions.c.number == row.latest_revision
                    )
                ).scalar()
                if latest == digest:
                    return app_record(row), None, None
            number = row.latest_revision + 1
            c.execute(
                sa.insert(t.revisions).values(
                    app_id=row.id,
                    number=number,
                    digest=digest,
                    spec=dict(spec),
                    definitions=[d[0] for d in definitions],
                    created_at=now,
                    default_target=default_target,
                )
            )
            documents = {
                dg: {"digest": dg, "kind": k, "name": n, "document": dict(doc)}
                for dg, k, n, doc in definitions
            }
            pruning.snapshot_definitions(c, row.id, number, documents)
            c.execute(
                sa.update(t.applications)
                .where(t.applications.c.id == row.id)
                .values(latest_revision=number, deleting=False)
            )
            run_id = self._insert_run(c, row.id, number, plan, steps, now)
            new = c.execute(sa.select(t.applications).where(t.applications.c.id == row.id)).one()
        return app_record(new), number, run_id

    def _locked_app(self, c: Connection, namespace: str, name: str, now: float) -> Any:
        """The application's row, inserted first if absent, locked until the transaction ends."""
        c.execute(
            pruning.insert_if_absent(c, t.applications, ["namespace", "name"]),
            {
                "namespace": namespace,
                "name": name,
                "revision": 0,
                "latest_revision": 0,
                "phase": Phase.RUNNING_WORKFLOW,
                "message": "",
                "deleting": False,
                "created_at": now,
                "updated_at": now,
            },
        )
        return c.execute(
            sa.select(t.applications)
            .where(t.applications.c.namespace == namespace, t.applications.c.name == name)
            .with_for_update()
        ).one()

    def prune_revisions(self, app_id: int, keep: int) -> list[int]:
        """Delete the application's revisions beyond the `keep` newest of those not in use, with their
        runs and the definition snapshots nothing else uses (store/pruning.py); the numbers deleted."""
        with self.tx() as c:  # most applications have fewer: nothing to lock, nothing to do
            count = c.execute(
                sa.select(sa.func.count()).select_from(t.revisions).where(t.revisions.c.app_id == app_id)
            ).scalar_one()
        if count <= keep:
            return []
        with self.write_tx() as c:
            app = c.execute(
                sa.select(t.applications).where(t.applications.c.id == app_id).with_for_update()
            ).first()
            if app is None:
                return []
            in_use = pruning.revisions_in_use(c, app_id, app.revision, app.latest_revision)
            numbers = c.execute(
                sa.select(t.revisions.c.number)
                .where(t.revisions.c.app_id == app_id)
                .order_by(t.revisions.c.number.desc())
            ).scalars()
            doomed = [n for n in numbers if n not in in_use][keep:]
            pruning.prune_revisions(c, app_id, doomed)
        return sorted(doomed)

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
            row.app_id,
            row.number,
            row.digest,
            row.spec,
            [docs[d] for d in row.definitions],
            row.created_at,
            row.default_target,
        )

    def revision_outline(self, app_id: int, number: int) -> tuple[dict[str, Any], list[str], str | None]:
        """A revision's spec, the digests of the definition snapshots it uses and its default target,
        without the documents: many revisions share those, so a reader reads them only when it does not
        hold them already (`definition_documents`)."""
        with self.tx() as c:
            row = c.execute(reads.REVISION_OUTLINE, {"app_id": app_id, "number": number}).first()
        if row is None:
            raise NotFoundError(f"revision {number} does not exist")
        return row.spec, list(row.definitions), row.default_target

    def definition_documents(self, digests: Sequence[str]) -> list[dict[str, Any]]:
        """The snapshotted definition documents with these digests, in their order."""
        with self.tx() as c:
            rows = c.execute(reads.DEFINITION_DOCUMENTS, {"digests": list(digests)}).all()
        found = {r.digest: r.document for r in rows}
        return [found[d] for d in digests]

    def revisions(self, app_id: int) -> list[tuple[int, str, float]]:
        with self.tx() as c:
            rows = c.execute(reads.REVISIONS, {"app_id": app_id}).all()
        return [(r.number, r.digest, r.created_at) for r in rows]

    def revision_specs(self, app_id: int) -> list[tuple[int, str, dict[str, Any]]]:
        """(number, digest, spec) of every kept revision, oldest first."""
        with self.tx() as c:
            rows = c.execute(reads.REVISION_SPECS, {"app_id": app_id}).all()
        return [(r.number, r.digest, r.spec) for r in rows]

    def set_app(self, app_id: int, now: float, **values: Any) -> None:
        with self.tx() as c:
            c.execute(
                sa.update(t.applications)
                .where(t.applications.c.id == app_id)
                .values(updated_at=now, **_redacted(values))
            )

    def delete_app(self, app_id: int) -> None:
        """Forget the application and its history; definition snapshots only it used go too."""
        with self.write_tx() as c:
            links = t.revision_definitions.c
            digests = set(c.execute(sa.select(links.digest).where(links.app_id == app_id)).scalars())
            for table in (t.events, t.inventory, t.revision_definitions, t.revisions):
                c.execute(sa.delete(table).where(table.c.app_id == app_id))
            pruning.prune_snapshots(c, digests)
            run_ids = sa.select(t.runs.c.id).where(t.runs.c.app_id == app_id)
            c.execute(sa.delete(t.steps).where(t.steps.c.run_id.in_(run_ids)))
            c.execute(sa.delete(t.runs).where(t.runs.c.app_id == app_id))
            c.execute(sa.delete(t.applications).where(t.applications.c.id == app_id))

    # --- runs and steps ----------------------------------------------------------------------------

    def start_run(
        self, app_id: int, revision: int, plan: dict[str, Any], steps: Iterable[StepRecord], now: float
    ) -> int:
        """Make `revision` the application's current one and start a run of it (restart, rollback), in one
        transaction; NotFoundError if the revision does not exist (any more)."""
        with self.write_tx() as c:
            c.execute(sa.select(t.applications.c.id).where(t.applications.c.id == app_id).with_for_update())
            exists = c.execute(
                sa.select(t.revisions.c.number).where(
                    t.revisions.c.app_id == app_id, t.revisions.c.number == revision
                )
            ).first()
            if exists is None:
                raise NotFoundError(f"revision {revision} does not exist", hint="see `vessel revision list`")
            return self._insert_run(c, app_id, revision, plan, steps, now)

    def _insert_run(
        self,
        c: Connection,
        app_id: int,
        revision: int,
        plan: dict[str, Any],
        steps: Iterable[StepRecord],
        now: float,
    ) -> int:
        """A new executing run of `revision`, which becomes the application's current revision."""
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
        c.execute(
            sa.update(t.applications)
            .where(t.applications.c.id == app_id)
            .values(revision=revision, phase=Phase.RUNNING_WORKFLOW, message="", updated_at=now)
        )
        return run_id

    def run(self, run_id: int) -> RunRecord:
        with self.tx() as c:
            row = c.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"workflow run {run_id} does not exist")
        return run_record(row)

    def latest_run(self, app_id: int) -> RunRecord | None:
        with self.tx() as c:
            row = c.execute(reads.LATEST_RUN, {"app_id": app_id}).first()
        return run_record(row) if row else None

    def latest_runs(self, app_id: int | None = None) -> dict[int, RunState]:
        """Every application's latest run (or one's), as a steady-state pass needs it, in one query."""
        latest = sa.select(sa.func.max(t.runs.c.id)).group_by(t.runs.c.app_id)
        if app_id is not None:
            latest = latest.where(t.runs.c.app_id == app_id)
        c_ = t.runs.c
        query = sa.select(c_.id, c_.app_id, c_.revision, c_.phase, c_.pruned).where(c_.id.in_(latest))
        with self.tx() as c:
            rows = c.execute(query).all()
        return {r.app_id: RunState(r.id, r.app_id, r.revision, r.phase, bool(r.pruned)) for r in rows}

    def update_run(self, run_id: int, **values: Any) -> None:
        with self.tx() as c:
            c.execute(sa.update(t.runs).where(t.runs.c.id == run_id).values(**_redacted(values)))

    def update_active_run(self, run_id: int, *, release_by: str | None = None, **values: Any) -> bool:
        """Update a run only while nobody has finished, terminated or suspended it meanwhile (a user's
        terminate or suspend between a driver's read and write must win). With `release_by`, that
        owner's lease goes in the same statement (a run it finished); another owner's stays."""
        c_ = t.runs.c
        active: list[Any] = [c_.phase.not_in(list(RunPhase.FINISHED)), c_.terminated.is_(False)]
        if values.get("phase") != RunPhase.SUSPENDING:
            active.append(c_.suspended.is_(False))
        if release_by is not None:
            ours = c_.lease_owner == release_by
            values["lease_owner"] = sa.case((ours, None), else_=c_.lease_owner)
            values["lease_expires"] = sa.case((ours, None), else_=c_.lease_expires)
        with self.tx() as c:
            updated = c.execute(sa.update(t.runs).where(c_.id == run_id, *active).values(**_redacted(values)))
            return updated.rowcount == 1

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
            rows = c.execute(reads.STEPS, {"run_id": run_id}).all()
        return {r.name: step_record(r) for r in rows}

    def save_step(self, run_id: int, step: StepRecord) -> None:
        row = _step_row(run_id, step)
        with self.tx() as c:
            c.execute(_SAVE_STEP, {"b_run_id": row.pop("run_id"), "b_name": row.pop("name"), **row})

    def start_step(self, run_id: int, step: StepRecord) -> bool:
        """Save `step` (it starts) unless a person suspended or terminated its run: False then, and
        nothing is written. The check and the write are one statement, so neither can slip between."""
        row = _step_row(run_id, step)
        with self.tx() as c:
            keys = {"b_run_id": row.pop("run_id"), "b_name": row.pop("name")}
            return c.execute(_START_STEP, {**keys, **row}).rowcount == 1

    def unfinished_runs(self, app_id: int | None = None) -> list[RunRecord]:
        """Every run not finished yet (of one application, if given), oldest first."""
        where: list[sa.ColumnElement[bool]] = [t.runs.c.phase.not_in(list(RunPhase.FINISHED))]
        if app_id is not None:
            where.append(t.runs.c.app_id == app_id)
        with self.tx() as c:
            rows = c.execute(sa.select(t.runs).where(*where).order_by(t.runs.c.id)).all()
        return [run_record(r) for r in rows]

    # --- inventory ----------------------------------------------------------------------------------

    def inventory(self, app_id: int) -> list[InventoryEntry]:
        with self.tx() as c:
            rows = c.execute(reads.INVENTORY, {"app_id": app_id}).all()
        return [inventory_entry(r) for r in rows]

    def entry_versions(self, app_id: int | None = None) -> dict[int, list[EntryVersion]]:
        """Every application's entries (or one's) as a steady-state pass compares them, by app id: one
        query, reading no manifest (only its `kind`, for the spelling targets address it by)."""
        where = () if app_id is None else (t.inventory.c.app_id == app_id,)
        with self.tx() as c:
            rows = c.execute(_ENTRY_VERSIONS.where(*where)).all()
        found: dict[int, list[EntryVersion]] = {}
        for r in rows:
            kind = r.spelled if isinstance(r.spelled, str) and canonical_kind(r.spelled) == r.kind else r.kind
            key = ResourceKey(r.api_version, kind, r.namespace, r.name)
            found.setdefault(r.app_id, []).append(EntryVersion(r.target, key, r.state, r.live_version))
        return found

    def record_pass(
        self, app_id: int, versions: list[tuple[str, ResourceKey, str | None]], **app_values: Any
    ) -> None:
        """Record what a steady-state pass found: the live versions (target, key, version) at which
        entries were up to date and the application's new values (`set_app`'s, `updated_at` among
        them), if any — in one transaction, so the versions never stand without the phase they judged."""
        rows = [
            {**{f"b_{k}": v for k, v in _key_values(target, key).items()}, "live_version": version}
            for target, key, version in versions
        ]
        with self.tx() as c:
            if app_values:
                values = _redacted(app_values)
                c.execute(sa.update(t.applications).where(t.applications.c.id == app_id).values(**values))
            if rows:
                c.execute(_SET_LIVE_VERSION.where(t.inventory.c.app_id == app_id), rows)

    def holders(self, target: str, key: ResourceKey) -> dict[int, InventoryEntry]:
        """Every application's inventory entry for one object (several when it is shared), by app id."""
        with self.tx() as c:
            rows = c.execute(
                sa.select(t.inventory).where(*_key_where(target, key)).order_by(t.inventory.c.app_id)
            ).all()
        return {r.app_id: inventory_entry(r) for r in rows}

    def record(self, app_id: int, entry: InventoryEntry, now: float) -> None:
        """Insert or update one inventory entry (record before apply; mark applied after)."""
        remember_object(entry.manifest)  # before it is applied: an answer echoing a value is masked
        keys = {"app_id": app_id, **_key_values(entry.target, entry.key)}
        with self.tx() as c:
            c.execute(self._upsert_entry, {**keys, **_entry_values(entry, now)})

    def mark_applied(self, app_id: int, entry: InventoryEntry, now: float) -> None:
        """Mark a recorded entry `applied` (its object was applied), with the next transaction this thread
        makes rather than one of its own: what is read next reads it, and a crash that drops it leaves
        the entry `applying`, as a crash just after the apply would — the object is applied again. An
        entry gone meanwhile (the application deleted) stays gone."""
        remember_object(entry.manifest)
        keys = {"app_id": app_id, **_key_values(entry.target, entry.key)}
        values = _entry_values(replace(entry, state=EntryState.APPLIED), now)
        self._pending_marks().append({**{f"b_{k}": v for k, v in keys.items()}, **values})

    def set_state(self, app_id: int, target: str, key: ResourceKey, state: str, now: float) -> None:
        with self.tx() as c:
            c.execute(
                sa.update(t.inventory)
                .where(t.inventory.c.app_id == app_id, *_key_where(target, key))
                .values(state=state, updated_at=now)
            )

    def delete_failed(
        self, app_id: int, entry: InventoryEntry, errors: int, next_attempt_at: float, error: str, now: float
    ) -> None:
        """Record a failed delete of `entry`: its consecutive failures, the next attempt, the failure."""
        with self.tx() as c:
            c.execute(
                sa.update(t.inventory)
                .where(t.inventory.c.app_id == app_id, *_key_where(entry.target, entry.key))
                .values(
                    errors=errors, next_attempt_at=next_attempt_at, last_error=redact(error), updated_at=now
                )
            )

    def forget(self, app_id: int, target: str, key: ResourceKey) -> None:
        with self.tx() as c:
            c.execute(sa.delete(t.inventory).where(t.inventory.c.app_id == app_id, *_key_where(target, key)))

    # --- events -------------------------------------------------------------------------------------

    def add_event(self, app_id: int, type_: str, reason: str, message: str, now: float) -> None:
        """Record an event of the application, if it still exists: another process may have deleted it
        meanwhile (`vessel delete` and `vessel run` finishing one delete at once), and an event of an
        application that is gone has nowhere to be shown."""
        values = (app_id, now, type_, reason, redact(message))
        columns = ("app_id", "at", "type", "reason", "message")
        row = sa.select(*(sa.literal(v, t.events.c[k].type) for k, v in zip(columns, values, strict=True)))
        with self.tx() as c:
            c.execute(t.events.insert().from_select(columns, row.where(_app_exists(app_id))))

    def events(self, app_id: int, limit: int = 200) -> list[Event]:
        with self.tx() as c:
            rows = c.execute(reads.EVENTS, {"app_id": app_id, "limit": limit}).all()
        return [event_record(r) for r in reversed(rows)]


# Hot-path statements, built once (building a statement costs more than executing it on SQLite).
_SAVE_STEP = (
    sa.update(t.steps)
    .where(t.steps.c.run_id == sa.bindparam("b_run_id"), t.steps.c.name == sa.bindparam("b_name"))
    .values({c.name: sa.bindparam(c.name) for c in t.steps.c if c.name not in ("run_id", "name")})
)
_START_STEP = _SAVE_STEP.where(
    sa.exists().where(
        t.runs.c.id == sa.bindparam("b_run_id"), t.runs.c.suspended.is_(False), t.runs.c.terminated.is_(False)
    )
)
_ENTRY_KEY = ("app_id", "target", "api_version", "kind", "namespace", "name")
_UPDATE_ENTRY = (
    sa.update(t.inventory)
    .where(*(t.inventory.c[k] == sa.bindparam(f"b_{k}") for k in _ENTRY_KEY))
    .values({c.name: sa.bindparam(c.name) for c in t.inventory.c if c.name not in _ENTRY_KEY})
)
_ENTRY_VERSIONS = sa.select(
    *(t.inventory.c[k] for k in _ENTRY_KEY),
    t.inventory.c.state,
    t.inventory.c.live_version,
    t.inventory.c.manifest["kind"].as_string().label("spelled"),
)
_KEY_COLUMNS = ("target", "api_version", "kind", "namespace", "name")
_SET_LIVE_VERSION = (
    sa.update(t.inventory)
    .where(*(t.inventory.c[k] == sa.bindparam(f"b_{k}") for k in _KEY_COLUMNS))
    .values(live_version=sa.bindparam("live_version"))
)


def _upsert(dialect: str, table: sa.Table, keys: Sequence[str]) -> sa.Insert:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column, on SQLite or PostgreSQL: one statement
    where UPDATE-then-INSERT took two. Each dialect's module is imported only for its own stores."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(index_elements=list(keys), set_=_excluded(pg.excluded, table, keys))
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(index_elements=list(keys), set_=_excluded(lite.excluded, table, keys))


def _excluded(excluded: Any, table: sa.Table, keys: Sequence[str]) -> dict[str, Any]:
    return {c.name: excluded[c.name] for c in table.c if c.name not in keys}


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an INSERT returns its new primary key"
    return int(key[0])


def _step_row(run_id: int, s: StepRecord) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "name": s.name,
        "parent": s.parent,
        "type": s.type,
        "phase": s.phase,
        "reason": s.reason,
        "message": redact(s.message),
        "attempts": s.attempts,
        "errors": s.errors,
        "started_at": s.started_at,
        "finished_at": s.finished_at,
        "next_attempt_at": s.next_attempt_at,
        "outputs": dict(s.outputs),
    }


def _entry_values(entry: InventoryEntry, now: float) -> dict[str, Any]:
    """An entry's columns beyond its key, as (re)recorded now."""
    return {
        "component": entry.component,
        "revision": entry.revision,
        "state": entry.state,
        "digest": entry.digest,
        "manifest": entry.manifest,
        "role": entry.role,
        "status_basis": entry.status_basis,
        "updated_at": now,
        "errors": 0,  # (re)recorded: no delete is failing
        "next_attempt_at": None,
        "last_error": "",
        "live_version": entry.live_version,
    }


def _app_exists(app_id: int) -> sa.Exists:
    return sa.exists().where(t.applications.c.id == app_id)


def _redacted(values: dict[str, Any]) -> dict[str, Any]:
    """Column values with the free text (`message`) passed through `redaction.redact`."""
    if isinstance(values.get("message"), str):
        return {**values, "message": redact(values["message"])}
    return values


def _key_values(target: str, key: ResourceKey) -> dict[str, str]:
    """An entry's key columns: the kind in canonical form (`ResourceKey.identity`), so one object is one
    row and an indexed equality finds it, however its manifest spells the kind."""
    return {
        "target": target,
        "api_version": key.api_version,
        "kind": canonical_kind(key.kind),
        "namespace": key.namespace,
        "name": key.name,
    }


def _key_where(target: str, key: ResourceKey) -> tuple[Any, ...]:
    c = t.inventory.c
    return (
        c.target == target,
        c.api_version == key.api_version,
        c.kind == canonical_kind(key.kind),
        c.namespace == key.namespace,
        c.name == key.name,
    )
