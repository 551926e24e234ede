"""The workflow engine: one `advance` decides and executes what is due, from persisted state alone.

Every decision reads the run and its step records from the store; every change is written before the
next decision. A step is marked `running` (attempt + 1, start time) *before* it executes, and its outcome
is written right after — so after a crash a finished step is never run again, and the step that was in
flight runs again at most once. Timeouts count from the persisted start time; retries wait
`backoff.delay(errors)` with `errors` persisted; one process drives a run at a time (a lease in the run
row, with expiry, so a dead driver's runs are taken over; renewed before a step starts, while it runs
(workflow/heartbeat.py) and before its outcome is written, so a driver that lost it writes nothing
more). A person's suspend or terminate, written by another process mid-pass, is read before each step:
the step in flight finishes, no other starts, and the run-row writes of the pass never undo it
(`Store.update_active_run`). A store failure is not a step's failure: it propagates (a
StoreOutageError), and the pass is done again once the store is back (controller/outage.py).

Semantics follow KubeVela: StepByStep or DAG for steps and sub-steps; `step-group`; `dependsOn` (and the
dependencies inputs imply); `if` (incl. `always`); `suspend` with or without `duration`; inputs/outputs
between steps. A pending step without `if` is skipped once a step it depends on has failed — in StepByStep
mode any earlier sibling, in DAG mode its transitive dependencies only; `if: always` runs regardless, and an
explicit `if` is judged on its own (`if: status.deploy.failed` exists to run after a failure). A step waits
for its inputs before its `if` is judged; an input whose producer finished without publishing it fails the
step (reason `Input`) rather than waiting forever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import jinja2

from vessel.definitions.definition import Kind
from vessel.definitions.expressions import EvaluationFailed, checked_data, expression
from vessel.definitions.registry import Registry
from vessel.errors import StoreUnavailableError, TransientError, VesselError
from vessel.model.application import Application, Mode, Step
from vessel.model.duration import parse_duration
from vessel.model.frozen import thaw
from vessel.model.graph import dependencies
from vessel.model.paths import set_dotted
from vessel.store.records import RunPhase, RunRecord, StepPhase, StepRecord
from vessel.store.store import Store
from vessel.workflow import backoff
from vessel.workflow.clock import Clock
from vessel.workflow.gate import FAIL, SKIP, START, WAIT, gate
from vessel.workflow.heartbeat import Heartbeat
from vessel.workflow.plan import STEP_GROUP as STEP_GROUP  # also importable from here
from vessel.workflow.plan import Plan
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

LEASE_SECONDS = 30.0


@dataclass(frozen=True)
class RunContext:
    """What the engine needs about a run's revision, provided by the controller."""

    app: Application
    registry: Registry
    services: Any = None
    event: Callable[[str, str, bool], None] = field(default=lambda reason, message, warning: None)


class LeaseLost(Exception):
    """This process's lease expired and another process took the run over: stop this pass."""


class _Stopping(Exception):
    """This process is stopping (SIGTERM): start no further step; the ones finished are recorded."""


class _HeldByAPerson(Exception):
    """Someone suspended or terminated the run while this pass was running: start no further step."""

    def __init__(self, run: RunRecord):
        self.run = run


class Engine:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        steps: Mapping[str, StepFunction],
        owner: str,
        lease_seconds: float = LEASE_SECONDS,
    ):
        self.store = store
        self.clock = clock
        self.step_functions = steps
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.heartbeat = Heartbeat(store, clock, owner, lease_seconds)
        # True once this process is stopping: a pass then starts no further step (the one in flight
        # finishes and is recorded), and the run waits, unchanged, for its next driver.
        self.stopping: Callable[[], bool] = lambda: False
        # Told of each step this process saw finish (recorded first): the server's metrics count them.
        self.on_step_done: Callable[[StepRecord], None] = lambda record: None

    def advance(self, run_id: int, context: Callable[[RunRecord], RunContext]) -> RunRecord:
        """Run every step that is due now; return the run as persisted afterwards."""
        with self.store.session():  # one connection for the pass's dozens of transactions
            return self._advance(run_id, context)

    def _advance(self, run_id: int, context: Callable[[RunRecord], RunContext]) -> RunRecord:
        run = self.store.run(run_id)
        if run.finished or not self.store.acquire_lease(
            run_id, self.owner, self.clock.now(), self.lease_seconds
        ):
            return run
        ctx = context(run)
        try:
            _Pass(self, run, ctx).execute()
        except LeaseLost as lost:  # the new holder carries on from the persisted state
            ctx.event("LeaseLost", str(lost), True)
        except _Stopping:
            pass  # what finished is recorded; the next driver (this process again, or another) goes on
        except StoreUnavailableError:
            raise  # nothing can be read back now: the next pass starts from what the store holds
        except BaseException:
            self._settle(run_id)
            raise
        return self._settle(run_id)

    def _settle(self, run_id: int) -> RunRecord:
        """The run as persisted after a pass, its lease released if nothing is left to drive until a
        person acts."""
        run = self.store.run(run_id)
        finished = run.finished or self._waits_for_a_person(run)
        if finished and run.lease_owner == self.owner:  # a finishing pass let it go as it finished
            self.store.release_lease(run_id, self.owner)
        return run

    def _waits_for_a_person(self, run: RunRecord) -> bool:
        """Suspended until someone resumes it. A timed suspension keeps its lease: the holder resumes it
        when its time comes, and others can tell that something will."""
        return run.phase == RunPhase.SUSPENDING and not self.resumes_by_itself(run.id)

    def next_due(self, run_id: int) -> float | None:
        """When something in the run can next make progress without outside help (None: never).

        A pass runs every step that can start, so pending steps wait on something else in this list:
        a step's retry or poll time, a timed suspension's end, or a deadline (timeouts fire even while a
        step is suspended or waiting for an input)."""
        run = self.store.run(run_id)
        if run.finished or run.suspended:
            return None
        records = self.store.steps(run_id)
        now = self.clock.now()
        if all(r.phase == StepPhase.PENDING and r.started_at is None for r in records.values()):
            return now  # never advanced yet
        steps = {step.name: step for step, _ in Plan.from_json(run.steps).all_steps()}
        times = [t for name, r in records.items() for t in _due_times(steps[name], r, now)]
        return min(times, default=None)

    def resumes_by_itself(self, run_id: int) -> bool:
        """Whether a suspended run goes on without a person: every suspension has an end time."""
        run = self.store.run(run_id)
        suspended = [
            r
            for r in self.store.steps(run_id).values()
            if r.phase == StepPhase.SUSPENDING and r.type != STEP_GROUP
        ]
        return not run.suspended and bool(suspended) and all(r.next_attempt_at for r in suspended)


class _Pass:
    """One pass over a run: holds the records loaded at its start and writes each change through."""

    def __init__(self, engine: Engine, run: RunRecord, context: RunContext):
        self.engine = engine
        self.store = engine.store
        self.run = run
        self.ctx = context
        self.now = engine.clock.now()
        self.lease_renewed = self.now  # advance() acquired it just now
        self.records = self.store.steps(run.id)
        self.plan = Plan.from_json(run.steps)
        self.values: dict[str, Any] = dict(run.values)
        self.producers = {o.name: s.name for s, _ in self.plan.all_steps() for o in s.outputs}

    def execute(self) -> None:
        if self.run.terminated:
            return self._finish(RunPhase.TERMINATED, "terminated")
        if self.run.suspended:
            return self._set_phase(RunPhase.SUSPENDING, "suspended by the user")
        try:
            self._walk(self.plan.steps, self.plan.mode)
        except _HeldByAPerson as held:
            self.run = held.run
            return self.execute()
        self._conclude()
        return None

    def _event(self, reason: str, message: str, warning: bool = False) -> None:
        self.ctx.event(reason, message, warning)

    # --- walking the plan ------------------------------------------------------------------------

    def _walk(self, steps: Sequence[Step], mode: Mode) -> None:
        if mode == Mode.STEP_BY_STEP:
            for step in steps:
                self._visit(step, steps, mode)
                if not self.records[step.name].done:
                    return
            return
        while True:  # DAG: again while steps finish, so what they unblock starts in this same pass
            before = self._finished(steps)
            for step in steps:
                if all(self.records[d].done for d in dependencies(step, steps)):
                    self._visit(step, steps, mode)
            if self._finished(steps) == before:
                return

    def _finished(self, steps: Sequence[Step]) -> int:
        return sum(self.records[s.name].done for s in steps)

    def _visit(self, step: Step, siblings: Sequence[Step], mode: Mode) -> None:
        record = self.records[step.name]
        if record.done or self._timed_out(step, record):
            return
        if record.phase == StepPhase.PENDING and not self._admit(step, siblings, mode):
            return
        record = self.records[step.name]
        if step.type == STEP_GROUP:
            self._group(step)
        elif record.phase == StepPhase.SUSPENDING:
            self._maybe_resume(step, record)
        elif record.next_attempt_at is None or record.next_attempt_at <= self.now:
            self._execute(step, record)

    def _admit(self, step: Step, siblings: Sequence[Step], mode: Mode) -> bool:
        """Apply the gate's verdict to a pending step; True if it starts now."""
        decision = gate(step, siblings, mode, self.records, self.values, self.producers)
        if decision.verdict == SKIP:
            self._skip(step, decision.message)
        elif decision.verdict == FAIL:
            self._fail(step, decision.reason, decision.message)
        elif decision.verdict == WAIT:  # waiting counts towards the step's timeout
            self._save(
                step, message=decision.message, started_at=self.records[step.name].started_at or self.now
            )
        return decision.verdict == START

    def _skip(self, step: Step, message: str) -> None:
        self._save(step, phase=StepPhase.SKIPPED, reason="Skip", message=message, finished_at=self.now)
        self._skip_sub_steps(step, "its group was skipped")

    def _fail(self, step: Step, reason: str, message: str, **changes: Any) -> None:
        self._save(
            step, phase=StepPhase.FAILED, reason=reason, message=message, finished_at=self.now, **changes
        )
        self._skip_sub_steps(step, "its group failed")

    def _skip_sub_steps(self, step: Step, message: str) -> None:
        """A finished group leaves no sub-step behind as pending (running ones are ended by `_timed_out`)."""
        for sub in step.sub_steps:
            if self.records[sub.name].phase == StepPhase.PENDING:
                self._skip(sub, message)

    def _timed_out(self, step: Step, record: StepRecord) -> bool:
        deadline = _deadline(step, record)
        if deadline is None or self.now < deadline:
            return False
        for sub in step.sub_steps:  # sub-steps a timed-out group was in the middle of time out with it
            sub_record = self.records[sub.name]
            if not sub_record.done and sub_record.started_at is not None:
                self._fail(sub, "Timeout", f"its group timed out: {sub_record.message}".rstrip(": "))
        self._fail(step, "Timeout", f"timed out after {step.timeout}: {record.message}".rstrip(": "))
        return True

    def _group(self, step: Step) -> None:
        record = self.records[step.name]
        if record.started_at is None:
            self._save(step, phase=StepPhase.RUNNING, started_at=self.now, attempts=1)
        self._walk(step.sub_steps, self.plan.sub_step_mode)
        subs = [self.records[s.name] for s in step.sub_steps]
        if all(s.done for s in subs):
            failed = next((s for s in subs if s.phase == StepPhase.FAILED), None)
            if failed is None:
                self._save(step, phase=StepPhase.SUCCEEDED, reason="", message="", finished_at=self.now)
            else:
                self._fail(step, "Failed", f"sub-step {failed.name} failed: {failed.message}")
        elif any(s.phase == StepPhase.SUSPENDING for s in subs):
            self._save(step, phase=StepPhase.SUSPENDING, message="a sub-step is suspended")
        elif record.phase != StepPhase.RUNNING:
            self._save(step, phase=StepPhase.RUNNING, message="")

    def _maybe_resume(self, step: Step, record: StepRecord) -> None:
        if record.next_attempt_at is not None and record.next_attempt_at <= self.now:
            if step.type == "suspend":
                self._save(
                    step,
                    phase=StepPhase.SUCCEEDED,
                    message="resumed after its duration",
                    finished_at=self.now,
                    next_attempt_at=None,
                )
            else:
                self._save(step, phase=StepPhase.RUNNING, next_attempt_at=None)
                self._execute(step, self.records[step.name])

    # --- executing one step ----------------------------------------------------------------------

    def _renew_lease(self) -> None:
        """Keep the lease before each step and before recording its outcome; renewing costs a write, so
        only once half of it is used. Raises LeaseLost once another process holds it."""
        engine, now = self.engine, self.engine.clock.now()
        if now < self.lease_renewed + engine.lease_seconds / 2:
            return
        if not self.store.acquire_lease(self.run.id, engine.owner, now, engine.lease_seconds):
            raise LeaseLost(
                f"{engine.owner} lost the lease on run {self.run.id} to another process (it was not renewed "
                f"within {engine.lease_seconds:g}s) and stopped driving it; the other process carries on"
            )
        self.lease_renewed = now

    def _start(self, step: Step, record: StepRecord) -> StepRecord:
        """Save the step as running, unless a person's suspend or terminate landed since the pass began
        (another process wrote it): then it takes effect now that the step in flight has finished."""
        record = replace(
            record,
            phase=StepPhase.RUNNING,
            attempts=record.attempts + 1,
            started_at=record.started_at or self.now,
            next_attempt_at=None,
        )
        if not self.store.start_step(self.run.id, record):
            raise _HeldByAPerson(self.store.run(self.run.id))
        self.records[step.name] = record
        return record

    def _execute(self, step: Step, record: StepRecord) -> None:
        properties = self._properties(step)
        if properties is None:
            return
        if self.engine.stopping():
            raise _Stopping()
        self._renew_lease()
        record = self._start(step, record)
        with self.engine.heartbeat.kept(self.run.id):  # a step may outlast the lease
            outcome = self._call(step, record, properties)
        self._renew_lease()  # a step that outlasted the lease may have been taken over: then write nothing
        self._record(step, record, outcome)

    def _properties(self, step: Step) -> dict[str, Any] | None:
        """Validated properties with defaults and inputs (the gate started the step once its inputs were
        published); None if they are invalid, and the step failed."""
        props: dict[str, Any] = thaw(step.properties)
        for inp in step.inputs:
            if inp.parameter_key:
                set_dotted(props, inp.parameter_key, self.values[inp.source])
        definition = self.ctx.registry.find(Kind.WORKFLOW_STEP, step.type)
        if definition is None:
            return props
        try:
            app = self.ctx.app
            locate = app.locator((*step.path, "properties"))
            return definition.parameters.resolve(props, locate, drop_unknown=app.tolerates_unknown)
        except VesselError as exc:
            self._fail(step, "Validation", exc.render())
            return None

    def _call(self, step: Step, record: StepRecord, properties: dict[str, Any]) -> Outcome:
        function = self.engine.step_functions.get(step.type)
        definition = self.ctx.registry.find(Kind.WORKFLOW_STEP, step.type)
        if function is None and definition is not None and definition.refused:  # a revision stored unchecked
            return Outcome.failed(
                f"workflow step type {step.type!r} is not supported by Vessel: {definition.refused}",
                "Unsupported",
            )
        if function is None:
            known = ", ".join(sorted(self.engine.step_functions))
            return Outcome.failed(f"unknown workflow step type {step.type!r} (known: {known})", "UnknownType")
        ctx = StepContext(
            app=self.ctx.app,
            step=step,
            properties=properties,
            run_id=self.run.id,
            revision=self.run.revision,
            attempt=record.attempts,
            now=self.now,
            values=self.values,
            services=self.ctx.services,
            event=self._event,
            state=record.outputs,
        )
        try:
            return function(ctx)
        except StoreUnavailableError:  # the store failed, not the step: nothing about it can be recorded
            raise
        except TransientError as exc:
            return Outcome.retry(exc.render(), exc.retry_after, exc.give_up_after)
        except VesselError as exc:
            return Outcome.failed(exc.render())
        except Exception as exc:  # a bug in a step type: fail the step visibly instead of retrying forever
            return Outcome.failed(
                f"internal error in step type {step.type!r}: {type(exc).__name__}: {exc}", "InternalError"
            )

    def _record(self, step: Step, record: StepRecord, outcome: Outcome) -> None:
        if outcome.kind == "succeeded":
            problems = self._publish(step, outcome)
            self._save(
                step,
                phase=StepPhase.SUCCEEDED,
                reason="",
                message="; ".join(m for m in (outcome.message, *problems) if m),
                errors=0,
                finished_at=self.now,
                outputs=dict(outcome.outputs),
            )
        elif outcome.kind == "failed":
            self._fail(step, outcome.reason or "Failed", outcome.message)
        elif outcome.kind == "wait":
            self._save(
                step,
                message=outcome.message,
                reason="Wait",
                errors=0,
                next_attempt_at=self.now + (outcome.retry_after or 2.0),
            )
        elif outcome.kind == "suspend":
            self._save(
                step,
                phase=StepPhase.SUSPENDING,
                reason="Suspend",
                message=outcome.message,
                next_attempt_at=outcome.resume_at,
                outputs={**record.outputs, **outcome.outputs},
            )
        else:
            self._retry(step, record, outcome)

    def _retry(self, step: Step, record: StepRecord, outcome: Outcome) -> None:
        errors = record.errors + 1
        if errors >= (outcome.give_up_after or backoff.MAX_ERRORS):
            message = f"gave up after {errors} attempts: {outcome.message}"
            self._fail(step, "FailedAfterRetries", message, errors=errors)
            return
        wait = max(backoff.delay(errors), min(outcome.retry_after or 0.0, backoff.CAP_SECONDS))
        self._save(
            step,
            reason="Retrying",
            errors=errors,
            next_attempt_at=self.now + wait,
            message=f"{outcome.message} (attempt {errors}, retrying in {wait:g}s)",
        )

    def _publish(self, step: Step, outcome: Outcome) -> list[str]:
        """Publish what the step hands to the run and its declared outputs; say which could not be.

        The values are written before the step is marked done: a crash in between runs the step again
        (and publishes again), where the reverse order would lose them for good."""
        before = dict(self.values)
        self.values.update(outcome.values)
        problems = []
        for output in step.outputs:
            try:
                self.values[output.name] = _evaluate(output.value_from, outcome.outputs)
            except Exception as exc:  # an author's expression error must not crash the run
                problems.append(f"output {output.name}: {exc}")
                self.ctx.event("OutputFailed", f"step {step.name}: {problems[-1]}", True)
        if self.values != before:
            self.store.update_run(self.run.id, values=self.values)
        return problems

    # --- persistence -----------------------------------------------------------------------------

    def _save(self, step: Step, **changes: Any) -> StepRecord:
        before = self.records[step.name]
        record = replace(before, **changes)
        if record != before:
            self.store.save_step(self.run.id, record)
            self.records[step.name] = record
            if record.done and not before.done:
                self.engine.on_step_done(record)
        return record

    def _conclude(self) -> None:
        tops = [self.records[s.name] for s in self.plan.steps]
        if all(r.done for r in tops):
            failed = [r.name for r in tops if r.phase == StepPhase.FAILED]
            if failed:
                first = self.records[failed[0]]
                return self._finish(RunPhase.FAILED, f"step {first.name} failed: {first.message}")
            return self._finish(RunPhase.SUCCEEDED, "")
        suspended = [
            r for r in self.records.values() if r.phase == StepPhase.SUSPENDING and r.type != STEP_GROUP
        ]
        if suspended:
            return self._set_phase(
                RunPhase.SUSPENDING, suspended[0].message or f"{suspended[0].name} is suspended"
            )
        waiting = [
            r
            for r in self.records.values()
            if r.phase in (StepPhase.RUNNING, StepPhase.PENDING) and r.message and r.type != STEP_GROUP
        ]
        return self._set_phase(RunPhase.EXECUTING, waiting[0].message if waiting else "")

    def _set_phase(self, phase: str, message: str) -> None:
        if (phase, message) != (self.run.phase, self.run.message):
            self.store.update_active_run(self.run.id, phase=phase, message=message)

    def _finish(self, phase: str, message: str) -> None:
        """The run ends, and this driver's lease with it (one write)."""
        self.store.update_active_run(
            self.run.id, phase=phase, message=message, finished_at=self.now, release_by=self.engine.owner
        )


def _evaluate(value_from: str, outputs: Mapping[str, Any]) -> Any:
    """An output's `valueFrom`: a bounded expression over what the step returned; it must yield data."""
    try:
        value = checked_data(expression(value_from).evaluate(dict(outputs)))
    except EvaluationFailed as exc:
        raise ValueError(f"valueFrom {value_from!r}: {exc}") from None
    if isinstance(value, jinja2.Undefined):
        raise ValueError(
            f"{value_from!r} is undefined (the step returned: {', '.join(outputs) or 'nothing'})"
        )
    if not _is_data(value):
        raise ValueError(f"{value_from!r} is not data: {type(value).__name__}")
    return value


def _is_data(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def _due_times(step: Step, record: StepRecord, now: float) -> list[float]:
    """When this step can next change by itself: its deadline, and its retry, poll or resume time."""
    if record.done:
        return []
    times = [deadline] if (deadline := _deadline(step, record)) is not None else []
    if step.type == STEP_GROUP:
        return times  # a group moves when its sub-steps do
    if record.phase == StepPhase.RUNNING:
        times.append(record.next_attempt_at or now)
    elif record.phase == StepPhase.SUSPENDING and record.next_attempt_at is not None:
        times.append(record.next_attempt_at)
    return times


def _deadline(step: Step, record: StepRecord) -> float | None:
    """A step's timeout counts from its persisted start, so it holds across restarts of the controller."""
    if not step.timeout or record.started_at is None:
        return None
    return record.started_at + parse_duration(step.timeout)
