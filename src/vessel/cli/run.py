"""`vessel run`: the reconcile loop in the foreground, for every application.

It resumes runs (also ones another process left behind, once their lease expires), honours suspend
durations and retry backoff, re-applies drift, goes on with failed deletes and keeps judging health. It
reads the target registry again at every pass, so targets added, changed or removed by other commands
while it runs are seen. When the store fails in a way that passes (PostgreSQL restarting, a full disk) it
keeps running: it says "store unavailable, retrying in Ns" and does the pass again once the store answers
(controller/outage.py). Stop it with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import time
from typing import Annotated, Any

import typer

from vessel.cli.report import err, out, reporting
from vessel.cli.session import controller
from vessel.controller.controller import Controller
from vessel.errors import StoreOutageError, StoreUnavailableError, ValidationError

INTERVAL_RANGE = (0.1, 86400.0)  # a negative or zero interval would spin a core; NaN never compares


def _check_interval(interval: float) -> None:
    low, high = INTERVAL_RANGE
    if not low <= interval <= high:
        raise ValidationError(f"--interval: {interval:g} is not a number of seconds from {low:g} to {high:g}")


def run(
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="One pass over every application, then exit.")] = False,
) -> None:
    """Reconcile every application continuously (the controller loop)."""
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    with reporting():
        _check_interval(interval)  # before the store is opened or a signal handler is set
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with reporting(), controller() as ctl:
        ctl.outages.stop = lambda: stopping["now"]
        out.print(f"vessel run: reconciling every {interval:g}s (owner {ctl.owner})")
        while not stopping["now"]:
            started = time.monotonic()
            try:
                ctl.outages.waited_out(lambda: _pass(ctl))
            except StoreOutageError:
                if stopping["now"]:
                    break
                raise
            if once:
                break
            time.sleep(max(0.0, interval - (time.monotonic() - started)))


def _pass(ctl: Controller) -> None:
    ctl.targets.refresh()  # targets added, changed or removed by other commands since the last pass
    apps = ctl.store.apps()
    seen = ctl.seen()  # read for every application at once: unchanged ones then cost no query
    for app in apps:
        try:
            before = app.phase
            after = ctl.reconcile(app, seen)
            if after.phase != before:
                out.print(f"{app.namespace}/{app.name}: {before} -> {after.phase} {after.message}")
        except StoreUnavailableError:  # the store's problem, not the application's: the pass waits
            raise
        except Exception as exc:  # one broken application must not stop the loop
            err.print(f"{app.namespace}/{app.name}: {type(exc).__name__}: {exc}")
