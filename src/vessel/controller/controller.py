"""The controller: submits applications, drives their runs, and keeps finished ones in their desired state.

`reconcile(app)` is the whole loop body: advance the latest run if it is unfinished; once it succeeded,
prune what the revision no longer renders; then (steady state) re-apply drifted objects and judge
health. Steady state writes nothing unless something changed: an unchanged, healthy application
reconciled any number of times causes no store write and no changing apply — and, when its objects'
versions are the ones recorded, not even a comparison (`steady`). `reconcile_all` reads what that
needs for every application in a few queries per pass, not per application.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from vessel.addons.installed import addon_definitions, addons_generation
from vessel.controller import driving, gc, placement, publish_version, statekeep, steady
from vessel.controller.disruption import disruptive_changes
from vessel.controller.driving import RUN_PHASES
from vessel.controller.health import component_health, delivered
from vessel.controller.outage import Outages
from vessel.controller.placement import Move
from vessel.controller.reader import find_app
from vessel.controller.revisions import application_from_snapshot, registry_from_snapshot, snapshot
from vessel.controller.targets import StoreTargets
from vessel.definitions.check import check_expressions
from vessel.definitions.lru import BoundedCache
from vessel.definitions.registry import Registry, build_registry
from vessel.errors import ConflictError, StoreUnavailableError, VesselError
from vessel.model.application import Application, component_of
from vessel.model.resource_key import ResourceKey
from vessel.render.status_basis import StatusBasis
from vessel.store.records import AppRecord, InventoryEntry, Phase, RunPhase, RunRecord, StepPhase, StepRecord
from vessel.store.store import Store
from vessel.workflow.clock import Clock, SystemClock
from vessel.workflow.delivery import Delivery, TargetProvider
from vessel.workflow.engine import LEASE_SECONDS, STEP_GROUP, Engine, RunContext
from vessel.workflow.plan import Plan, plan_for
from vessel.workflow.steps import StepTable

REVISION_CACHE = 512  # revisions (application + definitions + placed default) kept in memory per process
# Definition sets rebuilt from snapshots, by the digests of their definitions: shared by every revision
# that uses the same definitions (most applications of a platform use the same few).
REGISTRIES = 256
# Status bases worked out for workloads recorded without one (controller/health.py): entries, JSON bytes.
STATUS_BASES, STATUS_BASES_BYTES = 4096, 16 * 1024 * 1024
RevisionContext = tuple[Application, Registry, str | None]


@dataclass(frozen=True)
class Submitted:
    app: AppRecord
    revision: int | None  # None: identical to the current revision, nothing new
    run_id: int | None
    moved: Move | None = None  # the new revision delivers to other targets than the one before
    warnings: tuple[str, ...] = ()  # what the new revision will disrupt (pod-disruptive traits)


class Controller:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        targets: TargetProvider | None = None,
        registry: Registry | Callable[[], Registry] | None = None,
        owner: str | None = None,
    ):
        self.store = store
        self.clock = clock or SystemClock()
        self.targets = targets or StoreTargets(store)
        # Built when first needed (`live_registry`), with the enabled addons' definitions from the store.
        self._live_registry = registry or (lambda: build_registry(installed=addon_definitions(store)))
        self._registry_source = self._live_registry  # what `reload_definitions` builds it from again
        # The enabled addons' generation the live registry was built from, and when it was last compared
        # with the store's (`sync_definitions`): None until built from the store.
        self._definitions_generation: int | None = None
        self._definitions_checked = -math.inf
        self.owner = owner or f"{socket.gethostname()}-{os.getpid()}"
        lease = float(os.environ.get("VESSEL_LEASE_SECONDS", LEASE_SECONDS))
        self.engine = Engine(store, self.clock, StepTable(), self.owner, lease)
        # The revisions this process works on, rebuilt from the store on a miss: a long-running process
        # reconciles tens of thousands of applications, so this is an LRU, not a dict that only grows.
        self.revision_cache: BoundedCache[RevisionContext] = BoundedCache(REVISION_CACHE, REVISION_CACHE)
        self.status_bases: BoundedCache[StatusBasis] = BoundedCache(STATUS_BASES, STATUS_BASES_BYTES)
        self.registries: BoundedCache[Registry] = BoundedCache(REGISTRIES, REGISTRIES)
        self.outages = Outages(self.clock)  # how driving waits out the store's outages (set `notice`)

    @property
    def live_registry(self) -> Registry:
        """The definitions installed now (built-ins, plugins, enabled addons, directories). Built on first
        use: reading what the store holds (listing, status) never needs it, and building it costs a
        command noticeable time."""
        if not isinstance(self._live_registry, Registry):
            # Read before the definitions: an addon changed meanwhile is seen as a change at the next sync.
            generation = addons_generation(self.store)
            self._live_registry = self._live_registry()
            self._definitions_generation = generation
        return self._live_registry

    def reload_definitions(self) -> None:
        """Build the live registry again at its next use: an addon was enabled, upgraded or disabled by
        this process (a registry given whole stays as it is)."""
        if not isinstance(self._registry_source, Registry):
            self._live_registry = self._registry_source

    def sync_definitions(self, max_age: float = 0.0) -> bool:
        """Build the live registry again (at its next use) if the enabled addons changed since it was
        built — by any process on the store: another server, a CLI, another machine. One primary-key read,
        done at most once per `max_age` seconds (a hot API path passes a second or two; a reconcile pass
        checks once per pass). Whether it will be built again."""
        if isinstance(self._registry_source, Registry) or not isinstance(self._live_registry, Registry):
            return False  # given whole, or not built yet (it will be built from the store as it is then)
        now = time.monotonic()
        if now - self._definitions_checked < max_age:
            return False
        self._definitions_checked = now
        if addons_generation(self.store) == self._definitions_generation:
            return False
        self.reload_definitions()
        return True

    def close(self) -> None:
        """Release this process's leases so another process can drive its runs right away (with the store
        unavailable they cannot be released: they expire after the lease time instead)."""
        with contextlib.suppress(StoreUnavailableError):
            self.store.release_leases(self.owner)
        self.targets.close()

    # --- submitting ------------------------------------------------------------------------------

    def submit(
        self,
        app: Application,
        registry: Registry | None = None,
        *,
        source_dir: str | None = None,
        expected_revision: int | None = None,
    ) -> Submitted:
        """Store a new revision (unless identical to the current one) and start its workflow run.

        Several processes may submit the same application at once: one stores the revision and its run,
        the others get `revision=None` and find that run to watch (the run's lease decides who drives).

        `source_dir` is the directory the Application file was read from, on this machine: remembered for
        the application (the last one wins), outside the revision, so the same file applied from two
        checkouts is one revision and no machine path reaches a digest or a delivered object.

        `expected_revision`: the latest revision the caller based this change on (0: the application
        must not exist yet); another one is a StaleVersionError and nothing is stored."""
        with self.store.session():  # one connection for its transactions
            return self._submit(app, registry, source_dir, expected_revision)

    def _submit(
        self,
        app: Application,
        registry: Registry | None,
        source_dir: str | None,
        expected_revision: int | None,
    ) -> Submitted:
        check_expressions(app)  # a run must not find out later that an `if` can never be evaluated
        snap = snapshot(app, registry or self.live_registry)
        self.targets.refresh()
        default = self.targets.default()  # recorded with the revision: where "no topology" places it
        before = self.store.app(app.namespace, app.name)
        if before is not None:
            publish_version.check_unique(self.store, before.id, snap.spec, snap.digest)
        record, number, run_id = self.store.create_revision(
            app.namespace,
            app.name,
            snap.digest,
            snap.spec,
            snap.definitions,
            self.clock.now(),
            snap.plan.to_json(),
            _step_records(snap.plan),
            default,
            expected_revision,
        )
        if source_dir is not None and source_dir != record.source_dir:
            self.store.set_app(record.id, self.clock.now(), source_dir=source_dir)
            record = replace(record, source_dir=source_dir)
        if number is None or run_id is None:
            return Submitted(record, None, None)
        # The snapshot is what this process just parsed: no need to read it back to run it.
        documents = [doc for _, _, _, doc in snap.definitions]
        digests = tuple(digest for digest, _, _, _ in snap.definitions)
        context = (app, self._registry(digests, lambda: documents), default)
        self.revision_cache.put((record.id, number), context, 1)
        self.event(record.id, "Revision", f"revision {number} created")
        moved = self._moved(record.id, before, number)
        warnings = self._disruptions(before, record.id, number)
        self._stop_others(record.id, run_id)
        gc.prune_revisions(self, record.id, app)
        return Submitted(record, number, run_id, moved, warnings)

    def _moved(self, app_id: int, before: AppRecord | None, number: int) -> Move | None:
        """Whether revision `number` delivers elsewhere than the one the application had (recorded)."""
        if before is None or before.deleting or before.revision < 1:
            return None
        moved = placement.move(self, app_id, before.revision, number)
        if moved is not None:
            self.event(app_id, "Placement", f"revision {number} moves: {moved.describe()}")
        return moved

    def _disruptions(self, before: AppRecord | None, app_id: int, number: int) -> tuple[str, ...]:
        """Warnings (and Warning events) for pod-disruptive changes from the delivered revision."""
        if before is None or before.id != app_id or before.revision < 1 or before.deleting:
            return ()
        old, old_registry = self.revision_context(app_id, before.revision)
        new, new_registry = self.revision_context(app_id, number)
        delivered = {component_of(entry.component) for entry in self.store.inventory(app_id)}
        warnings = disruptive_changes(old, old_registry, new, new_registry, delivered)
        for message in warnings:
            self.event(app_id, "PodDisruptive", message, warning=True)
        return tuple(warnings)

    def _start_run(self, app_id: int, revision: int, plan: Plan) -> int:
        """A new run of `revision`, now the current one; an unfinished earlier run is stopped, so no run
        is left executing unseen."""
        run_id = self.store.start_run(app_id, revision, plan.to_json(), _step_records(plan), self.clock.now())
        self._stop_others(app_id, run_id)
        return run_id

    def _stop_others(self, app_id: int, run_id: int | None) -> None:
        for run in self.store.unfinished_runs(app_id):
            if run.id != run_id:
                self._stop(run, f"superseded by run {run_id}")

    # --- reconciling -----------------------------------------------------------------------------

    def reconcile(self, app: AppRecord, seen: steady.Seen | None = None) -> AppRecord:
        """One pass for one application; returns it as persisted afterwards. `seen`: what the pass
        already read of the store for it (else a running application's is read here)."""
        if app.deleting:
            self._continue_delete(app)
            return app
        if app.phase == Phase.RUNNING and (seen or steady.Seen.load(self.store, app.id)).unchanged(self, app):
            return app
        run = self.store.latest_run(app.id)
        if run is not None and not run.finished:
            run = self.engine.advance(run.id, self._run_context)
        if run is not None and run.phase in (RunPhase.SUCCEEDED, RunPhase.FAILED) and not run.pruned:
            gc.prune(self, app, run)
        phase, message, versions = self._phase(app, run)
        versions = versions if phase == Phase.RUNNING else []  # recorded only with the phase they judged
        if (phase, message) != (app.phase, app.message):
            now = self.clock.now()  # with the versions found, in one transaction
            self.store.record_pass(app.id, versions, phase=phase, message=message, updated_at=now)
            if phase != app.phase:
                self.event(
                    app.id,
                    "Phase",
                    f"{app.phase} -> {phase}{': ' + message if message else ''}",
                    phase in (Phase.FAILED, Phase.UNHEALTHY),
                )
            return self.store.app_by_id(app.id)
        if versions:
            self.store.record_pass(app.id, versions)
        return app

    def reconcile_all(self) -> list[AppRecord]:
        """One pass over every application, with the target registry as it is now. What the steady
        state needs of each is read for all of them at once (`steady.Seen`)."""
        self.targets.refresh()
        self.sync_definitions()  # addons enabled, upgraded or disabled by another process
        apps = self.store.apps()
        seen = self.seen()
        return [self.reconcile(app, seen) for app in apps]

    def seen(self) -> steady.Seen:
        """What the steady state needs of every application, read at once for a pass over them all
        (read after the applications: one that changes meanwhile is seen as changed, and fully passed)."""
        return steady.Seen.load(self.store)

    def _phase(self, app: AppRecord, run: RunRecord | None) -> tuple[str, str, steady.Versions]:
        if run is None:
            return Phase.RUNNING_WORKFLOW, "no workflow run yet", []
        if run.phase != RunPhase.SUCCEEDED:
            return RUN_PHASES[run.phase], run.message, []
        return self._steady(app)

    def _steady(self, app: AppRecord) -> tuple[str, str, steady.Versions]:
        """Re-apply drifted objects, retry failed deletes, then judge each component's health (its
        workload and traits) from the live objects. Also the live versions this found the objects at,
        to record once the application is running."""
        problems: list[str] = []
        policies = gc.resource_policies(self, app)
        inventory = self.store.inventory(app.id)
        lives: dict[tuple[str, ResourceKey], dict[str, Any]] = {}
        for entry in inventory:
            try:
                if entry.state == "deleting":
                    gc.delete_entry(self, app, entry)
                    continue
                lives[(entry.target, entry.key)] = statekeep.keep(self, app, entry, policies)
            except StoreUnavailableError:  # not the application's problem: the pass is done again
                raise
            except VesselError as exc:
                problems.append(f"{entry.component} on {entry.target}: {exc.render()}")
        problems += self._unhealthy(app, inventory, lives)
        if problems:
            return Phase.UNHEALTHY, problems[0], []
        return Phase.RUNNING, "", steady.found_versions(self, inventory, lives)

    def _unhealthy(
        self, app: AppRecord, inventory: list[InventoryEntry], lives: dict[tuple[str, ResourceKey], Any]
    ) -> list[str]:
        """Why each component whose workload is there is not healthy (one whose workload could not be
        kept is already a problem)."""
        problems = []
        for what in delivered(inventory):
            workload = what.workload
            if (workload.target, workload.key) not in lives:
                continue
            try:
                health = component_health(self, app, what, lives)
            except VesselError as exc:
                problems.append(f"{workload.component} on {workload.target}: {exc.render()}")
                continue
            if not health.healthy:
                problems.append(f"{workload.component} on {workload.target}: {health.problem}")
        return problems

    # --- run contexts ----------------------------------------------------------------------------

    def forget_revisions(self, app_id: int, numbers: list[int]) -> None:
        """Drop cached revisions that were pruned from the store."""
        for number in numbers:
            self.revision_cache.pop((app_id, number))

    def _revision(self, app_id: int, revision: int) -> RevisionContext:
        return self.revision_cache.get_or_make(
            (app_id, revision), lambda: self._load_revision(app_id, revision), lambda _: 1
        )

    def _load_revision(self, app_id: int, revision: int) -> RevisionContext:
        spec, digests, default = self.store.revision_outline(app_id, revision)
        registry = self._registry(tuple(digests), lambda: self.store.definition_documents(digests))
        return application_from_snapshot(spec), registry, default

    def _registry(self, digests: tuple[str, ...], documents: Callable[[], list[dict[str, Any]]]) -> Registry:
        """The definitions with these snapshot digests, shared by every revision that uses them (their
        documents are read only when no revision in memory uses them)."""

        def make() -> Registry:
            return registry_from_snapshot(documents(), lambda: self.live_registry)

        return self.registries.get_or_make(digests, make, lambda _: 1)

    def revision_context(self, app_id: int, revision: int) -> tuple[Application, Registry]:
        app, registry, _ = self._revision(app_id, revision)
        return app, registry

    def revision_registry(self, app_id: int, revision: int) -> Registry:
        return self._revision(app_id, revision)[1]

    def tolerates_unknown(self, app_id: int, revision: int) -> bool:
        return self._revision(app_id, revision)[0].tolerates_unknown

    def placed_default(self, app_id: int, revision: int) -> str:
        """Where "no topology" places this revision: the default recorded when it was made (the
        current default only for a revision made before defaults were recorded)."""
        return self._revision(app_id, revision)[2] or self.targets.default()

    def _run_context(self, run: RunRecord) -> RunContext:
        app, registry = self.revision_context(run.app_id, run.revision)
        source_dir = self.store.app_by_id(run.app_id).source_dir
        delivery = Delivery(
            self.store,
            self.targets,
            run.app_id,
            app,
            registry,
            run.revision,
            self.clock.now(),
            self.placed_default(run.app_id, run.revision),
            source_dir,
        )
        return RunContext(app, registry, delivery, functools.partial(self.event, run.app_id))

    def event(self, app_id: int, reason: str, message: str, warning: bool = False) -> None:
        self.store.add_event(app_id, "Warning" if warning else "Normal", reason, message, self.clock.now())

    # --- driving until something a person must see -------------------------------------------------

    def drive(
        self,
        app: AppRecord,
        timeout: float | None = None,
        progress: Callable[[AppRecord, RunRecord | None], None] | None = None,
    ) -> AppRecord:
        """Reconcile until the run is finished, suspended or failed (or `timeout` seconds pass). A store
        outage is waited out (`self.outages`), up to the timeout: each round is done again once the store
        answers (controller/outage.py says why that is safe and what it guarantees)."""
        deadline = None if timeout is None else self.clock.now() + timeout
        while True:
            round_ = functools.partial(self._drive_round, app, deadline, progress)
            app, wake = self.outages.waited_out(round_, deadline)
            if wake is None:
                return app
            self.clock.sleep(min(max(wake - self.clock.now(), 0.05), 1.0))

    def _drive_round(
        self,
        app: AppRecord,
        deadline: float | None,
        progress: Callable[[AppRecord, RunRecord | None], None] | None,
    ) -> tuple[AppRecord, float | None]:
        """One round of `drive`: the application afterwards, and when to go on (None: it is done)."""
        with self.store.session():  # one connection for the round's transactions
            return self._drive_round_on(app, deadline, progress)

    def _drive_round_on(
        self,
        app: AppRecord,
        deadline: float | None,
        progress: Callable[[AppRecord, RunRecord | None], None] | None,
    ) -> tuple[AppRecord, float | None]:
        self.targets.refresh()  # a long wait sees targets changed meanwhile
        app = self.reconcile(app)
        run = self.store.latest_run(app.id)
        if progress:
            progress(app, run)
        if run is None or run.finished or app.deleting or self._needs_a_person(run):
            return self._settled(app, run), None
        if deadline is not None and self.clock.now() >= deadline:
            self.store.release_lease(run.id, self.owner)  # this process stops driving it now
            return app, None
        due = self.engine.next_due(run.id) or self.clock.now() + 1.0
        return app, min(due, deadline) if deadline is not None else due

    def _settled(self, app: AppRecord, run: RunRecord | None) -> AppRecord:
        """The application as its settled run leaves it. Another process may have moved the run on after
        this pass read it (it holds the lease; this one only watched), so the phase this pass wrote can
        be behind the run: one more pass brings it up to date."""
        if run is not None and app.phase == Phase.RUNNING_WORKFLOW and not app.deleting:
            return self.reconcile(self.store.app_by_id(app.id))
        return app

    def shown(self, app: AppRecord) -> driving.Shown:
        """The application's phase and message as they truly are now (see `driving`)."""
        app = self.store.app_by_id(app.id)
        run = self.store.latest_run(app.id)
        steps = self.store.steps(run.id) if run is not None else {}
        return driving.shown(app, run, steps, self.clock.now())

    def waits_for_a_person(self, app: AppRecord) -> bool:
        """Whether the application's workflow is suspended until someone resumes it."""
        run = self.store.latest_run(app.id)
        return run is not None and not run.finished and self._needs_a_person(run)

    def _needs_a_person(self, run: RunRecord) -> bool:
        """Suspended until someone resumes it (a timed suspension ends by itself: keep driving)."""
        return run.phase == RunPhase.SUSPENDING and not self.engine.resumes_by_itself(run.id)

    # --- operations --------------------------------------------------------------------------------

    def find(self, namespace: str, name: str) -> AppRecord:
        return find_app(self.store, namespace, name)

    def _unfinished_run(self, app: AppRecord, operation: str) -> RunRecord:
        run = self.store.latest_run(app.id)
        if run is None or run.finished:
            raise ConflictError(
                f"cannot {operation} {app.name}: its workflow is not running "
                f"({run.phase if run else 'no run'})"
            )
        return run

    def suspend(self, app: AppRecord) -> None:
        run = self._unfinished_run(app, "suspend")
        message = "suspended by the user"
        self.store.update_run(run.id, suspended=True, phase=RunPhase.SUSPENDING, message=message)
        self._mirror_run(app)
        self.event(app.id, "Suspend", "workflow suspended by the user")

    def _mirror_run(self, app: AppRecord) -> None:
        """Show an operation's effect on the run in the application at once (status and `ls` read it),
        not only after the next pass of whoever drives it."""
        run = self.store.latest_run(app.id)
        if run is not None and run.phase in RUN_PHASES:
            self.store.set_app(app.id, self.clock.now(), phase=RUN_PHASES[run.phase], message=run.message)

    def interrupted(self, app: AppRecord) -> str:
        """This process stops driving (Ctrl-C, SIGTERM): release its leases at once, and say in the
        application what now holds — interrupted, with what to do — rather than leave "running" a
        workflow nothing runs. Returns that message (with the store unavailable, that nothing could be
        said: the leases then expire after the lease time)."""
        try:
            return self._interrupted(app)
        except StoreUnavailableError as exc:
            return f"could not record that it was interrupted ({exc.render()}); {driving.CONTINUE}"

    def _interrupted(self, app: AppRecord) -> str:
        self.store.release_leases(self.owner)
        app = self.store.app_by_id(app.id)
        run = self.store.latest_run(app.id)
        if run is None or run.finished:
            return ""
        view = driving.shown(app, run, self.store.steps(run.id), self.clock.now())
        if view.driver is None and (view.phase, view.message) != (app.phase, app.message):
            self.store.set_app(app.id, self.clock.now(), phase=view.phase, message=view.message)
            self.event(app.id, "Interrupted", view.message, True)
        return view.message

    def resume(self, app: AppRecord) -> None:
        """Resume the run: end every suspension, approving steps that wait for it (deploy `auto: false`)."""
        run = self._unfinished_run(app, "resume")
        now = self.clock.now()
        for record in self.store.steps(run.id).values():
            if record.phase != StepPhase.SUSPENDING or record.type == STEP_GROUP:
                continue  # a group's phase follows its sub-steps
            if record.type == "suspend":
                resumed = replace(
                    record,
                    phase=StepPhase.SUCCEEDED,
                    finished_at=now,
                    message="resumed",
                    next_attempt_at=None,
                )
            else:
                resumed = replace(
                    record,
                    phase=StepPhase.RUNNING,
                    next_attempt_at=None,
                    outputs={**record.outputs, "approved": True},
                    message="approved",
                )
            self.store.save_step(run.id, resumed)
        self.store.update_run(run.id, suspended=False, phase=RunPhase.EXECUTING, message="")
        self._mirror_run(app)
        self.event(app.id, "Resume", "workflow resumed")

    def terminate(self, app: AppRecord) -> None:
        """Stop the run for good: it cannot be resumed (restart starts a new one)."""
        self._stop(self._unfinished_run(app, "terminate"), "terminated by the user")
        self._mirror_run(app)
        self.event(app.id, "Terminate", "workflow terminated by the user", True)

    def _stop(self, run: RunRecord, message: str) -> None:
        """Terminate a run; steps it was in the middle of fail with reason Terminate (as in KubeVela)."""
        now = self.clock.now()
        for record in self.store.steps(run.id).values():
            if record.phase in (StepPhase.RUNNING, StepPhase.SUSPENDING):
                stopped = replace(
                    record, phase=StepPhase.FAILED, reason="Terminate", message=message, finished_at=now
                )
                self.store.save_step(run.id, stopped)
        self.store.update_run(
            run.id, terminated=True, phase=RunPhase.TERMINATED, message=message, finished_at=now
        )

    def restart(self, app: AppRecord) -> int:
        app_model, _ = self.revision_context(app.id, app.revision)
        run_id = self._start_run(app.id, app.revision, Plan.from_json(self._plan_json(app)))
        self.event(app.id, "Restart", f"workflow restarted for revision {app.revision} ({app_model.name})")
        return run_id

    def _plan_json(self, app: AppRecord) -> dict[str, Any]:
        run = self.store.latest_run(app.id)
        if run is not None and run.revision == app.revision:
            return run.steps
        model, _ = self.revision_context(app.id, app.revision)
        return plan_for(model).to_json()

    def rollback(self, app: AppRecord, revision: int | str | None = None) -> int:
        """Deliver revision N again (default: the one before the current), exactly as it rendered. A
        string names the revision by its number or its publishVersion (`publish_version.py`)."""
        number = self.rollback_revision(app, revision)
        model, _ = self.revision_context(app.id, number)
        run_id = self._start_run(app.id, number, plan_for(model))
        self.event(app.id, "Rollback", f"rolling back to revision {number}")
        return run_id

    def rollback_revision(self, app: AppRecord, revision: int | str | None = None) -> int:
        """The kept revision a rollback to `revision` would deliver (a ConflictError when there is none)."""
        if isinstance(revision, str):
            revision = publish_version.number_of(self.store, app.id, app.name, revision)
        number = revision if revision is not None else app.revision - 1
        kept = [n for n, _, _ in self.store.revisions(app.id)]
        if number not in kept:
            pruned = (
                " (older ones were pruned: garbage-collect applicationRevisionLimit)"
                if kept and kept[0] > 1
                else ""
            )
            raise ConflictError(
                f"{app.name} has no revision {number} to roll back to",
                hint=f"revisions: {', '.join(map(str, kept))}{pruned}",
            )
        return number

    def delete(self, app: AppRecord) -> bool:
        """Start (or go on) deleting; True when nothing is left (the application record is gone).
        A failed delete is retried on a later call once its backoff has passed (`next_delete_due`)."""
        return self._continue_delete(self._deleting(app))

    def delete_orphaning(self, app: AppRecord) -> list[InventoryEntry]:
        """Delete what can be deleted now and forget the rest, leaving it in place (a target that is
        gone or unreachable); the application is gone afterwards. Returns what was left in place."""
        app = self._deleting(app)
        if self._continue_delete(app):
            return []
        return gc.orphan_undeletable(self, app)

    def next_delete_due(self, app: AppRecord) -> float | None:
        return gc.next_delete_due(self, app)

    def _deleting(self, app: AppRecord) -> AppRecord:
        """The application marked as being deleted (once: the caller's record may be an old one)."""
        app = self.store.app_by_id(app.id)
        if app.deleting:
            return app
        self.store.set_app(app.id, self.clock.now(), deleting=True, phase=Phase.DELETING, message="")
        self.event(app.id, "Delete", "deleting the application's resources")
        return self.store.app_by_id(app.id)

    def _continue_delete(self, app: AppRecord) -> bool:
        return gc.delete_all(self, app)


def _step_records(plan: Plan) -> list[StepRecord]:
    return [StepRecord(step.name, step.type, parent) for step, parent in plan.all_steps()]
