"""What follows when a process of the local target has ended — by itself, or with the machine.

- A Service's replica is restarted after a capped back-off (`supervisor.backoff`) and is *failing* until it
  is ready again: `Proc.failure` keeps why it ended ("exited with code 3: fatal: no config"), through its
  restarts, so a crash loop reads as failing even while a fresh incarnation is starting. A Service's
  process is meant to run, so exit code 0 is a failure too.
- A Task's run succeeded (exit 0), is retried (`restart: OnFailure`, within `backoffLimit`: not failing —
  the retries are its plan), or failed for good, and only then is it failing.
- After a reboot every recorded process is gone, and its pid and start time (ticks since boot) may belong
  to anyone now: the records are forgotten, so nothing is adopted or signalled by them, and replicas that
  were running start again without counting as failing.

Restarts are told as actions (`Restarted`, `Retried`), which the controller turns into events.
"""

from __future__ import annotations

from vessel.targets.local.objects import SERVICE, Workload
from vessel.targets.local.state import EXITED, FAILED, RUNNING, SUCCEEDED, ObjectState, Proc
from vessel.targets.local.supervisor import Supervisor, describe_exit
from vessel.targets.protocol import Action

REBOOTED = "not running (the machine restarted)"


def ended(proc: Proc, workload: Workload, now: float, *, failed: bool = True) -> None:
    """After a run of `proc` ended (`failed`: by itself, not because the machine restarted)."""
    if workload.kind == SERVICE:
        proc.failure = proc.message if failed else ""
        Supervisor.plan_restart(proc, now)
    elif proc.exit_code == 0:
        proc.phase, proc.message, proc.failure = SUCCEEDED, "completed", ""
    elif workload.restart == "OnFailure" and proc.restarts < workload.backoff_limit:
        Supervisor.plan_restart(proc, now)
        proc.message = (
            f"{proc.message}; retry {proc.restarts + 1} of {workload.backoff_limit} after a back-off"
        )
    else:
        proc.phase, proc.failure = FAILED, proc.message
        if workload.restart == "OnFailure":
            proc.message = f"{proc.message}; gave up after {proc.restarts} retries"


def forget_other_boot(state: ObjectState, boot: str, now: float) -> list[Proc]:
    """Forget the process identities recorded during another boot than `boot`; the processes that were
    running then (to be restarted, like crashed ones)."""
    if state.boot_id == boot:
        return []
    gone = []
    for proc in [*state.replicas, *([state.balancer] if state.balancer else [])]:
        if proc.phase == RUNNING:
            proc.phase, proc.ready, proc.exit_code, proc.finished_at = EXITED, False, None, now
            proc.message = REBOOTED
            gone.append(proc)
        proc.pid = proc.start = proc.pgid = proc.pgid_start = None
        proc.cgroup = ""  # cgroups do not outlive a boot either
    state.boot_id = boot
    return gone


def restarted(proc: Proc, workload: Workload) -> Action:
    """What starting an ended replica again (or retrying a task's run) is called in an event."""
    why = proc.failure or proc.message.partition("; retry")[0] or describe_exit(proc.exit_code)
    waited = max(0.0, (proc.next_restart or 0.0) - (proc.finished_at or 0.0))
    after = f" after a {waited:.0f}s back-off" if proc.next_restart else ""
    if workload.kind == SERVICE:
        return Action("Restarted", f"restarted replica {proc.name} ({why}){after}", warning=True)
    return Action("Retried", f"retried run {proc.name} ({why}){after}", warning=True)
