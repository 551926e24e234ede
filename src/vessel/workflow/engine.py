"""The workflow engine: one `advance` decides and executes what is due, from persisted state alone.

Every decision reads the run and its step records from the store; every change is written before the
next decision. A step is marked `running` (attempt + 1, start time) *before* it executes, and its outcome
is written right after — so after a crash a finished step is never run again, and the step that was in
flight runs again at most once. Timeouts count from the persisted start time; retries wait
`backoff.delay(errors)` with `errors` persisted; one process drives a run at a time (a lease in the run
row, with expiry, so a dead driver's runs are taken over).

Semantics follow KubeVela: StepByStep or DAG for steps and sub-steps; `step-group`; `dependsOn` (and the
dependencies inputs imply); `if` (incl. `always`); after a failure the remaining steps are skipped unless
`if: always`; `suspend` with or without `duration`; inputs/outputs between steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from vessel.definitions.definition import Kind
from vessel.definitions.registry import Registry
from vessel.definitions.sandbox import DEFAULT_LIMITS, STATUS_ENV, evaluate_with_limits
from vessel.errors import TransientError, VesselError
from vessel.model.application import Application, Mode, Step
from vessel.model.duration import parse_duration
from vessel.model.frozen import thaw
from vessel.store.records import RunPhase, RunRecord, StepPhase, StepRecord
from vessel.store.store import Store
from vessel.workflow import backoff
from vessel.workflow.clock import Clock
from vessel.workflow.conditions import ALWAYS, holds, step_status
from vessel.workflow.plan import Plan
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

STEP_GROUP = "step-group"
LEASE_SECONDS = 30.0


@dataclass(frozen=True)
class RunContext:
    """What the engine needs about a run's revision, provided by the controller."""

    app: Application
    registry: Registry
    services: Any = None
    event: Callable[[str, str, bool], None] = field(default=lambda reason, message, warning: None)


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

    def advance(self, run_id: int, context: Callable[[RunRecord], RunContext]) -> RunRecord:
        """Run every step that is due now; return the run as persisted afterwards."""
        run = self.store.run(run_id)
        if run.finished or not self.store.acquire_lease(
            run_id, self.owner, self.clock.now(), self.lease_seconds
        ):
            return run
        try:
            _Pass(self, run, context(run)).execute()
        finally:
            run = self.store.run(run_id)
            if run.finished:
                self.store.release_lease(run_id, self.owner)
        return run

    def next_due(self, run_id: int) -> float | None:
        """When something in the run can next make progress without outside help (None: never)."""
        run = self.store.run(run_id)
        if run.finished or run.suspended:
            return None
        times = [
            r.next_attempt_at or self.clock.now()
            for r in self.store.steps(run_id).values()
            if r.phase in (StepPhase.RUNNING, StepPhase.PENDING)
            or (r.phase == StepPhase.SUSPENDING and r.next_attempt_at)
        ]
        return min(times) if times else None


class _Pass:
    """One pass over a run: holds the records loaded at its start and writes each change through."""

    def __init__(self, engine: Engine, run: RunRecord, context: RunContext):
        self.engine = engine
        self.store = engine.store
        self.run = run
        self.ctx = context
        self.now = engine.clock.now()
        self.records = self.store.steps(run.id)
        self.plan = Plan.from_json(run.steps)
        self.values: dict[str, Any] = dict(run.values)

    def execute(self) -> None:
        if self.run.terminated:
            return self._finish(RunPhase.TERMINATED, "terminated")
        if self.run.suspended:
            return self._set_phase(RunPhase.SUSPENDING, "suspended by the user")
        self._walk(self.plan.steps, self.plan.mode)
        self._conclude()
        return None

    def _event(self, reason: str, message: str, warning: bool = False) -> None:
        self.ctx.event(reason, message, warning)

    # --- walking the plan ------------------------------------------------------------------------

    def _walk(self, steps: Sequence[Step], mode: Mode) -> None:
        if mode == Mode.STEP_BY_STEP:
            for step in steps:
                self._visit(step)
                if not self.records[step.name].done:
                    return
        else:
            for step in steps:
                if all(self.records[d].done for d in self._dependencies(step, steps)):
                    self._visit(step)

    def _dependencies(self, step: Step, siblings: Sequence[Step]) -> list[str]:
        names = {s.name for s in siblings}
        producers = {o.name: s.name for s in siblings for o in s.outputs}
        implied = [producers[i.source] for i in step.inputs if i.source in producers]
        return [d for d in (*step.depends_on, *implied) if d in names and d != step.name]

    def _visit(self, step: Step) -> None:
        record = self.records[step.name]
        if record.done:
            return
        if record.phase == StepPhase.PENDING and not self._should_run(step):
            return
        if self._timed_out(step, record):
            return
        if step.type == STEP_GROUP:
            self._group(step)
        elif record.phase == StepPhase.SUSPENDING:
            self._maybe_resume(step, record)
        elif record.next_attempt_at is None or record.next_attempt_at <= self.now:
            self._execute(step, record)

    def _should_run(self, step: Step) -> bool:
        failed = any(r.phase == StepPhase.FAILED for r in self.records.values())
        if step.if_ == ALWAYS:
            return True
        if failed:
            self._save(
                step,
                phase=StepPhase.SKIPPED,
                reason="Skip",
                message="skipped after an earlier failure",
                finished_at=self.now,
            )
            return False
        if step.if_:
            try:
                allowed = holds(step.if_, step_status(self.records), self.values)
            except VesselError as exc:
                self._save(
                    step,
                    phase=StepPhase.FAILED,
                    reason="Condition",
                    message=exc.render(),
                    finished_at=self.now,
                )
                return False
            if not allowed:
                self._save(
                    step,
                    phase=StepPhase.SKIPPED,
                    reason="Skip",
                    message=f"if: {step.if_} is false",
                    finished_at=self.now,
                )
                return False
        return True

    def _timed_out(self, step: Step, record: StepRecord) -> bool:
        if not step.timeout or record.started_at is None:
            return False
        if self.now < record.started_at + parse_duration(step.timeout):
            return False
        self._save(
            step,
            phase=StepPhase.FAILED,
            reason="Timeout",
            message=f"timed out after {step.timeout}: {record.message}".rstrip(": "),
            finished_at=self.now,
        )
        for sub in step.sub_steps:
            if not self.records[sub.name].done:
                self._save(
                    sub,
                    phase=StepPhase.SKIPPED,
                    reason="Skip",
                    message="its group timed out",
                    finished_at=self.now,
                )
        return True

    def _group(self, step: Step) -> None:
        record = self.records[step.name]
        if record.started_at is None:
            self._save(step, phase=StepPhase.RUNNING, started_at=self.now, attempts=1)
        self._walk(step.sub_steps, self.plan.sub_step_mode)
        subs = [self.records[s.name] for s in step.sub_steps]
        if any(s.phase == StepPhase.SUSPENDING for s in subs):
            self._save(step, phase=StepPhase.SUSPENDING, message="a sub-step is suspended")
        elif all(s.done for s in subs):
            failed = [s.name for s in subs if s.phase == StepPhase.FAILED]
            phase = StepPhase.FAILED if failed else StepPhase.SUCCEEDED
            message = f"failed: {', '.join(failed)}" if failed else ""
            self._save(
                step,
                phase=phase,
                message=message,
                finished_at=self.now,
                reason="" if not failed else "Failed",
            )
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

    def _execute(self, step: Step, record: StepRecord) -> None:
        properties = self._properties(step)
        if properties is None:
            return
        record = self._save(
            step,
            phase=StepPhase.RUNNING,
            attempts=record.attempts + 1,
            started_at=record.started_at or self.now,
            next_attempt_at=None,
        )
        outcome = self._call(step, record, properties)
        self._record(step, record, outcome)

    def _properties(self, step: Step) -> dict[str, Any] | None:
        """Validated properties with defaults and inputs; None (step waits) if an input is not ready."""
        props: dict[str, Any] = thaw(step.properties)
        for inp in step.inputs:
            if inp.source not in self.values:
                self._save(step, message=f"waiting for input {inp.source!r}")
                return None
            if inp.parameter_key:
                _set_path(props, inp.parameter_key, self.values[inp.source])
        definition = self.ctx.registry.find(Kind.WORKFLOW_STEP, step.type)
        if definition is None:
            return props
        try:
            return definition.parameters.resolve(props, self.ctx.app.locator((*step.path, "properties")))
        except VesselError as exc:
            self._save(
                step, phase=StepPhase.FAILED, reason="Validation", message=exc.render(), finished_at=self.now
            )
            return None

    def _call(self, step: Step, record: StepRecord, properties: dict[str, Any]) -> Outcome:
        function = self.engine.step_functions.get(step.type)
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
        except TransientError as exc:
            return Outcome.retry(exc.render())
        except VesselError as exc:
            return Outcome.failed(exc.render())

    def _record(self, step: Step, record: StepRecord, outcome: Outcome) -> None:
        if outcome.kind == "succeeded":
            self._publish(step, outcome)
            self._save(
                step,
                phase=StepPhase.SUCCEEDED,
                reason="",
                message=outcome.message,
                errors=0,
                finished_at=self.now,
                outputs=dict(outcome.outputs),
            )
        elif outcome.kind == "failed":
            self._save(
                step,
                phase=StepPhase.FAILED,
                reason=outcome.reason or "Failed",
                message=outcome.message,
                finished_at=self.now,
            )
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
        if errors >= backoff.MAX_ERRORS:
            self._save(
                step,
                phase=StepPhase.FAILED,
                reason="TooManyErrors",
                errors=errors,
                finished_at=self.now,
                message=f"gave up after {errors} attempts: {outcome.message}",
            )
            return
        wait = backoff.delay(errors)
        self._save(
            step,
            reason="Retrying",
            errors=errors,
            next_attempt_at=self.now + wait,
            message=f"{outcome.message} (attempt {errors}, retrying in {wait:g}s)",
        )

    def _publish(self, step: Step, outcome: Outcome) -> None:
        for output in step.outputs:
            try:
                compiled = STATUS_ENV.compile_expression(output.value_from)
                value = evaluate_with_limits(compiled, dict(outcome.outputs), DEFAULT_LIMITS)
            except Exception as exc:  # an author's expression error must not crash the run
                self.ctx.event("OutputFailed", f"step {step.name}: output {output.name}: {exc}", True)
                continue
            self.values[output.name] = value if _is_data(value) else None

    # --- persistence -----------------------------------------------------------------------------

    def _save(self, step: Step, **changes: Any) -> StepRecord:
        record = replace(self.records[step.name], **changes)
        if record != self.records[step.name]:
            self.store.save_step(self.run.id, record)
            self.records[step.name] = record
        return record

    def _conclude(self) -> None:
        tops = [self.records[s.name] for s in self.plan.steps]
        if self.values != self.run.values:
            self.store.update_run(self.run.id, values=self.values)
        if all(r.done for r in tops):
            failed = [r.name for r in tops if r.phase == StepPhase.FAILED]
            if failed:
                first = self.records[failed[0]]
                return self._finish(RunPhase.FAILED, f"step {first.name} failed: {first.message}")
            return self._finish(RunPhase.SUCCEEDED, "")
        suspended = [r for r in self.records.values() if r.phase == StepPhase.SUSPENDING]
        if suspended:
            return self._set_phase(
                RunPhase.SUSPENDING, suspended[0].message or f"{suspended[0].name} is suspended"
            )
        waiting = [r for r in self.records.values() if r.phase == StepPhase.RUNNING and r.message]
        return self._set_phase(RunPhase.EXECUTING, waiting[0].message if waiting else "")

    def _set_phase(self, phase: str, message: str) -> None:
        if (phase, message) != (self.run.phase, self.run.message):
            self.store.update_run(self.run.id, phase=phase, message=message)

    def _finish(self, phase: str, message: str) -> None:
        self.store.update_run(self.run.id, phase=phase, message=message, finished_at=self.now)


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def _is_data(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
