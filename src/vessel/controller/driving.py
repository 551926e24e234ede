"""Whether anything drives a run, and what an application's status says from that.

The phase and message in the applications row are written by whoever reconciles the application. When
nothing does any more — `vessel up` was interrupted (Ctrl-C, SIGTERM, a kill), it left at `--timeout`,
or `--no-wait` was used without a `vessel run` — the row stays as it was last written: "running" a step
nobody runs, or "suspended for 1m" long after that minute. So status is worked out when it is read,
from the run, its steps, its lease and the clock (`shown`):

- a run is driven while a process holds its lease: a process of this machine for as long as it exists,
  another machine's while the lease is unexpired; a driven run shows its own phase and message;
- a finished run shows how it finished (terminated, failed) whatever the row says;
- a run suspended until a person acts (`resume`) shows that, driven or not: resuming is what it needs;
- a timed suspension nobody drives says it will not resume by itself, and once its time has passed,
  that the workflow is interrupted;
- any other unfinished run nobody drives is interrupted, with what to do: `vessel up` or `vessel run`.

The engine keeps the lease through a timed suspension (it is released only when a run finishes or
waits for a person), so "nobody holds the lease" really means "nobody will move it on".
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

from vessel.store.records import AppRecord, Phase, RunPhase, RunRecord, StepPhase, StepRecord
from vessel.workflow.plan import STEP_GROUP

CONTINUE = "continue with `vessel up` or `vessel run`"
RUN_PHASES = {
    RunPhase.EXECUTING: Phase.RUNNING_WORKFLOW,
    RunPhase.SUSPENDING: Phase.SUSPENDING,
    RunPhase.TERMINATED: Phase.TERMINATED,
    RunPhase.FAILED: Phase.FAILED,
}


@dataclass(frozen=True)
class Shown:
    """What status shows: the application's phase and message, and who drives its run (None: nobody)."""

    phase: str
    message: str
    driver: str | None = None


def driver(run: RunRecord, now: float) -> str | None:
    """The process driving the run, or None. A holder on this machine counts while its process exists
    (a step may outlast the lease; `vessel run --interval` may exceed it) and not a moment after; a
    holder elsewhere counts while its lease is live."""
    owner = run.lease_owner
    if run.finished or owner is None:
        return None
    alive = _local_process_alive(owner)
    if alive is not None:
        return owner if alive else None
    return owner if run.lease_expires is not None and run.lease_expires > now else None


def _local_process_alive(owner: str) -> bool | None:
    """Whether the owner (`host-pid`, see Controller) is a live process of this machine; None when it is
    not one of this machine's processes (then its lease expiring is what tells)."""
    host, _, pid = owner.rpartition("-")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def shown(app: AppRecord, run: RunRecord | None, steps: dict[str, StepRecord], now: float) -> Shown:
    """The application's true phase and message (see the module docstring)."""
    if app.deleting or run is None:
        return Shown(app.phase, app.message)
    if run.finished:
        return _finished(app, run)
    holder = driver(run, now)
    if holder is not None:
        return Shown(RUN_PHASES[run.phase], run.message, holder)
    return _not_driven(run, steps, now)


def _finished(app: AppRecord, run: RunRecord) -> Shown:
    if run.phase != RunPhase.SUCCEEDED:
        return Shown(RUN_PHASES[run.phase], run.message)
    if app.phase in (Phase.RUNNING, Phase.UNHEALTHY):
        return Shown(app.phase, app.message)
    return Shown(
        Phase.RUNNING_WORKFLOW,
        f"interrupted: the workflow succeeded, but nothing pruned or checked the result yet: {CONTINUE}",
    )


def _not_driven(run: RunRecord, steps: dict[str, StepRecord], now: float) -> Shown:
    suspended = [r for r in steps.values() if r.phase == StepPhase.SUSPENDING and r.type != STEP_GROUP]
    if run.suspended or any(r.next_attempt_at is None for r in suspended):
        return Shown(Phase.SUSPENDING, run.message)  # a person resumes it: true whoever drives
    if suspended:
        ends = max(r.next_attempt_at or now for r in suspended)
        if ends > now:
            return Shown(
                Phase.SUSPENDING,
                f"{run.message}, until {_clock(ends)}; nothing will resume it then: keep `vessel run` "
                "running, or continue with `vessel up` after that",
            )
        return Shown(
            Phase.RUNNING_WORKFLOW,
            f"interrupted: the suspension ended at {_clock(ends)}, and nothing drives the workflow: "
            + CONTINUE,
        )
    if all(r.phase == StepPhase.PENDING and r.started_at is None for r in steps.values()):
        return Shown(Phase.RUNNING_WORKFLOW, f"waiting to be driven: {CONTINUE}")
    running = [r.name for r in steps.values() if r.phase == StepPhase.RUNNING and r.type != STEP_GROUP]
    during = f" (step {running[0]} was in progress)" if running else ""
    return Shown(Phase.RUNNING_WORKFLOW, f"interrupted: nothing drives the workflow{during}: {CONTINUE}")


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))
