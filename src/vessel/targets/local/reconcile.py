"""Bringing one object's processes to what its manifest asks for — the work behind `apply` and `get`.

Service: `replicas` processes, each with its PORT; a change to the process spec (command, args, env,
workingDir, ports, probes) replaces them all (stop, then start: a recreate, not a rolling update); scaling
starts or stops only the difference, never restarting the replicas that stay. With a declared `port`, one
replica listens on it itself and several sit behind a balancer listening there (going from one replica to
several moves the first one off the declared port, a restart; going back down keeps the balancer until
the next replacement). Crashed replicas restart after their backoff, replicas failing their
liveness probe are restarted — both only on `apply` (`get` reports, it never restarts).

Task: `count` runs at once, each until it exits 0; with `restart: OnFailure` a failed run is retried after
a backoff (up to `backoffLimit` times), with `Never` it stays failed. A completed Task is not run again
unless its process spec changes.

CronTask: a Task started whenever its schedule falls due, checked on every `apply` and `get`. A run still
active when the next one falls due makes that one skipped (concurrency "Forbid"); after a long gap only
the latest missed time runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vessel.errors import Location, TargetRejectedError
from vessel.targets.local import exits, logs, orphans, procfs, source_dir
from vessel.targets.local.objects import CRON_TASK, Workload
from vessel.targets.local.ports import PortBook, is_free
from vessel.targets.local.state import (
    BACKENDS_FILE,
    BALANCER_LOG,
    EXITED,
    PENDING,
    RUN_DIR,
    RUNNING,
    SUCCEEDED,
    ObjectState,
    Proc,
    forget_exit,
    log_file,
    save,
    work_dir,
)
from vessel.targets.local.status import liveness_failed, sync_backends
from vessel.targets.local.supervisor import Launch, Supervisor, describe_exit
from vessel.targets.protocol import Action

Reservations = Callable[[Path], dict[int, str]]
"""Every port reserved by the target's other objects (all but the given directory), with who holds it."""


@dataclass
class Pass:
    """One call's bookkeeping: whether anything was started or stopped, which replicas are brand new, and
    what was done that a person should hear about (restarts, kills, orphans swept)."""

    acted: bool = False
    started: set[str] = field(default_factory=set)
    actions: list[Action] = field(default_factory=list)


class Runner:
    def __init__(self, target: str, supervisor: Supervisor, ports: PortBook, reservations: Reservations):
        self.target = target
        self.supervisor = supervisor
        self.ports = ports
        self.reservations = reservations
        self.boot = procfs.boot_id()

    # -- every call ----------------------------------------------------------------------------------

    def observe(self, directory: Path, state: ObjectState, workload: Workload, now: float) -> None:
        """Notice processes that ended since the last call and record how (nothing is restarted here)."""
        for proc in exits.forget_other_boot(state, self.boot, now):
            if proc is not state.balancer:
                exits.ended(proc, workload, now, failed=False)
        procs = [*state.replicas, *([state.balancer] if state.balancer else [])]
        table = procfs.snapshot(p.pid for p in procs if p.pid is not None)
        for proc in state.replicas:
            if self.supervisor.observe(proc, directory, table):
                exits.ended(proc, workload, now)
        balancer = state.balancer
        if balancer is not None and balancer.phase == RUNNING:
            ref = balancer.ref()
            if ref is None or not procfs.alive_among([ref], table):
                balancer.phase, balancer.ready = EXITED, False
                balancer.message = "the balancer is not running"
        if (
            workload.kind == CRON_TASK
            and state.replicas
            and all(p.phase == SUCCEEDED for p in state.replicas)
        ):
            state.last_successful = max(p.finished_at or now for p in state.replicas)

    # -- Service -------------------------------------------------------------------------------------

    def service(self, directory: Path, state: ObjectState, workload: Workload, now: float, run: Pass) -> None:
        declared = workload.port if workload.replicas > 0 else None
        balancer = state.balancer
        # Scaling down to one replica keeps the balancer in front of the survivor rather than restart it on
        # the declared port; the next replacement (a spec change) moves it there.
        keep_balancer = (
            declared is not None
            and workload.replicas == 1
            and balancer is not None
            and balancer.port == declared
            and balancer.phase == RUNNING
            and state.fingerprint == workload.fingerprint
            and bool(state.replicas)
            and state.replicas[0].phase == RUNNING
        )
        direct = declared if workload.replicas == 1 and not keep_balancer else None
        wants_balancer = declared is not None and (workload.replicas > 1 or keep_balancer)
        if declared is not None:
            self._check_declared(directory, state, workload, declared)  # before anything is changed

        if state.fingerprint != workload.fingerprint:
            self._stop(directory, state.replicas, run)
            for proc in state.replicas:
                proc.reset()
                proc.restarts = proc.crashes = 0
            state.fingerprint = workload.fingerprint
        if len(state.replicas) > workload.replicas:
            extra = state.replicas[workload.replicas :]
            self._stop(directory, extra, run)
            for proc in extra:
                logs.remove(log_file(directory, proc.name))
            self._forget(directory, extra)
            del state.replicas[workload.replicas :]
            run.acted = True
        if balancer is not None and (not wants_balancer or balancer.port != declared):
            self._stop(directory, [balancer], run)
            self._forget(directory, [balancer])
            state.balancer = None
            run.acted = True
        while len(state.replicas) < workload.replicas:
            state.replicas.append(Proc(name=f"{workload.key.name}-{len(state.replicas)}"))
        for proc in state.replicas:
            in_range = proc.port in self.ports.ports and proc.port != declared
            wanted = direct if direct is not None else (proc.port if in_range else None)
            if proc.port != wanted:
                self._stop(directory, [proc], run)
                proc.reset()
                proc.port = wanted
        for proc in state.replicas:
            if liveness_failed(proc, workload):
                failures, said = proc.liveness.failures, proc.liveness.message
                self._stop(directory, [proc], run)
                proc.message = f"killed after failing its liveness probe {failures} times ({said})"
                proc.failure = proc.message
                run.actions.append(Action("Killed", f"replica {proc.name}: {proc.message}", warning=True))
                self.supervisor.plan_restart(proc, now)
        self._start(directory, state, workload, self._due(state.replicas, now), now, run)
        if wants_balancer and (state.balancer is None or state.balancer.phase != RUNNING):
            assert declared is not None
            if state.balancer is not None and state.balancer.phase == EXITED:
                why = f"restarted the balancer on port {declared} ({state.balancer.message})"
                run.actions.append(Action("Restarted", why, warning=True))
            self._start_balancer(directory, state, workload, declared, run)

    def _check_declared(self, directory: Path, state: ObjectState, workload: Workload, port: int) -> None:
        """A declared port must be ours already, or free: TargetRejectedError naming port and component."""
        held = self.reservations(directory).get(port)
        hint = f"target {self.target!r}: stop what holds it, or declare another port"
        if held is not None:
            raise TargetRejectedError(
                f"port {port} of component {workload.component!r} is already used by {held}",
                Location(path="spec.port"),
                hint=hint,
            )
        ours = [p for p in [*state.replicas, state.balancer] if p is not None and p.port == port]
        if any(p.phase == RUNNING for p in ours) or any(
            self.supervisor.members(p, procfs.scan()) for p in ours
        ):
            return  # held by this object (or by what is left of one of its crashed replicas: stopped first)
        if not is_free(port):
            raise TargetRejectedError(
                f"port {port} of component {workload.component!r} is already in use by another program",
                Location(path="spec.port"),
                hint=hint,
            )

    def _start_balancer(
        self, directory: Path, state: ObjectState, workload: Workload, port: int, run: Pass
    ) -> None:
        if state.balancer is not None:
            self._stop(directory, [state.balancer], run)
            self._forget(directory, [state.balancer])
        balancer = state.balancer = Proc(name=BALANCER_LOG, port=port)
        sync_backends(directory, state)
        error = self.supervisor.start_balancer(
            balancer,
            port,
            directory / BACKENDS_FILE,
            log_file(directory, BALANCER_LOG),
            directory / RUN_DIR,
            orphans.new_token(),
        )
        save(directory, state)
        run.acted = True
        if error is not None:
            raise TargetRejectedError(
                f"port {port} of component {workload.component!r}: the balancer cannot listen: {error}",
                Location(path="spec.port"),
                hint=f"target {self.target!r}: stop what holds the port, or declare another port",
            )

    # -- Task and CronTask ---------------------------------------------------------------------------

    def task(self, directory: Path, state: ObjectState, workload: Workload, now: float, run: Pass) -> None:
        if state.fingerprint != workload.fingerprint:
            self._stop(directory, state.replicas, run)
            self._forget(directory, state.replicas)
            state.replicas = []
            state.fingerprint = workload.fingerprint
        if len(state.replicas) > workload.replicas:
            extra = state.replicas[workload.replicas :]
            self._stop(directory, extra, run)
            self._forget(directory, extra)
            del state.replicas[workload.replicas :]
        while len(state.replicas) < workload.replicas:
            state.replicas.append(Proc(name=f"{workload.key.name}-{len(state.replicas)}"))
        self._start(directory, state, workload, self._due(state.replicas, now), now, run)

    def cron_task(
        self, directory: Path, state: ObjectState, workload: Workload, now: float, run: Pass, *, retry: bool
    ) -> None:
        """Retry failed runs (on apply only) and start a new run when the schedule says so."""
        state.fingerprint = workload.fingerprint  # the next run uses the new spec; the current one goes on
        if retry:
            self._start(
                directory,
                state,
                workload,
                [p for p in self._due(state.replicas, now) if p.phase == EXITED],
                now,
                run,
            )
        if workload.suspend or workload.schedule is None:
            return
        due = workload.schedule.latest_due(state.last_schedule or state.created_at, now, workload.zone)
        if due is None:
            return
        state.last_schedule = due
        if any(p.phase in (RUNNING, EXITED, PENDING) for p in state.replicas):
            at = time.strftime("%Y-%m-%d %H:%M", time.localtime(due))
            state.message = f"skipped the run due at {at}: the previous run is still active"
            return
        state.message = ""
        state.last_run = due
        self._forget(directory, state.replicas)
        state.replicas = [Proc(name=f"{workload.key.name}-{i}") for i in range(workload.replicas)]
        self._start(directory, state, workload, state.replicas, now, run)

    # -- starting and stopping -----------------------------------------------------------------------

    @staticmethod
    def _due(procs: Iterable[Proc], now: float) -> list[Proc]:
        return [
            p for p in procs if p.phase == PENDING or (p.phase == EXITED and (p.next_restart or 0) <= now)
        ]

    def _start(
        self,
        directory: Path,
        state: ObjectState,
        workload: Workload,
        procs: Sequence[Proc],
        now: float,
        run: Pass,
    ) -> None:
        if not procs:
            return
        cwd = work_dir(directory, workload.container.working_dir, workload.component)
        self._stop(directory, [p for p in procs if p.pgid is not None], run)  # leftovers of a crashed run
        if workload.uses_ports:
            self._assign_ports(directory, state, workload, procs)
        for proc in procs:
            if proc.phase == EXITED:
                proc.restarts += 1
                run.actions.append(exits.restarted(proc, workload))
            old_token = proc.token
            port = proc.port if workload.uses_ports else None
            provided = source_dir.variables(state.source_dir)
            env = workload.container.environment(port, provided)
            launch = Launch(
                argv=workload.container.argv(env),
                env=workload.container.process_env(port, provided),
                cwd=cwd,
                log=log_file(directory, proc.name),
                run_dir=directory / RUN_DIR,
            )
            self.supervisor.start(proc, launch, orphans.new_token())
            forget_exit(directory, old_token)
            run.acted = True
            run.started.add(proc.name)
            if proc.phase == EXITED:  # it could not even start
                exits.ended(proc, workload, now)
            save(directory, state)  # every started process is on disk before the next one starts

    def _assign_ports(
        self, directory: Path, state: ObjectState, workload: Workload, procs: Sequence[Proc]
    ) -> None:
        """Give every replica about to start a port that is free right now; reserve them on disk under the
        target-wide port lock, so that no other object or process can pick the same ones."""
        declared = workload.port
        starting = {id(p) for p in procs}
        with self.ports.locked():
            reserved = set(self.reservations(directory))
            reserved |= {p.port for p in state.replicas if p.port is not None and id(p) not in starting}
            if declared is not None:
                reserved.add(declared)
            needy = []
            for proc in procs:
                if proc.port is not None and proc.port == declared:
                    continue  # the declared port, checked already
                if proc.port is None or proc.port in reserved or not is_free(proc.port):
                    needy.append(proc)
                else:
                    reserved.add(proc.port)
            identities = [f"{directory}/{p.name}" for p in needy]  # a replica tends to get its port again
            for proc, port in zip(needy, self.ports.allocate(identities, reserved), strict=True):
                proc.port = port
            save(directory, state)

    def _stop(self, directory: Path, procs: Sequence[Proc], run: Pass) -> None:
        """Stop whatever of `procs` still runs (graceful), recording how their workloads ended."""
        started = [p for p in procs if p.pgid is not None]
        if not started:
            return
        if any(p.phase == RUNNING for p in started):
            run.acted = True
        self.supervisor.stop(started)
        for proc in started:
            if proc.phase == RUNNING:
                self.supervisor.observe(proc, directory, {})
                proc.message = f"stopped ({describe_exit(proc.exit_code)})"

    def stop_all(self, directory: Path, state: ObjectState) -> None:
        exits.forget_other_boot(state, self.boot, time.time())
        procs = [*state.replicas, *([state.balancer] if state.balancer else [])]
        self._stop(directory, procs, Pass())

    @staticmethod
    def _forget(directory: Path, procs: Iterable[Proc]) -> None:
        for proc in procs:
            forget_exit(directory, proc.token)
