"""`vessel up` in embedded mode: delivering applications from this process (`cli/apps.py` is the command).

`up` (and the workflow operations) drive the workflow in this process until it finishes, suspends,
fails or `--timeout` passes (`cli.waiting`); `vessel run` keeps everything reconciled in the
foreground. Ctrl-C or SIGTERM leaves each application saying it is interrupted and how to go on.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from vessel.cli.inputs import load_inputs, show_notes, show_warnings
from vessel.cli.interrupt import Interrupted, interruptible
from vessel.cli.report import err, out, styled
from vessel.cli.session import controller
from vessel.cli.waiting import OK_PHASES, drive, timeout_seconds
from vessel.controller.applying import applications, check_all, warnings_for
from vessel.controller.controller import Controller
from vessel.definitions.registry import Registry
from vessel.model.application import Application
from vessel.store.records import AppRecord


def up_here(
    files: list[Path], definitions: list[Path], namespace: str | None, wait: bool, timeout: str
) -> bool:
    """Deliver the Applications in `files` from this process; whether every one ended running (or
    suspended for a person) — always true without `wait`."""
    with interruptible(lambda stop: err.print(f"\n{stop.signal}: stopped")):
        timeout_seconds(timeout)  # a wrong duration is reported before anything is stored
        loaded, registry = load_inputs(files, definitions)
        apps = applications(loaded, namespace)
        show_notes(loaded.all_notes())
        show_warnings(warnings_for(apps, registry))
        with controller(registry) as ctl:
            check_all(apps, registry, ctl.targets)  # every mistake, before anything is stored
            results = _up_all(ctl, apps, registry, wait, timeout, files)
    return all(r.phase in OK_PHASES for r in results) or not wait


def _up_all(
    ctl: Controller,
    apps: list[Application],
    registry: Registry,
    wait: bool,
    timeout: str,
    files: list[Path],
) -> list[AppRecord]:
    """Submit and drive each application in turn; on Ctrl-C, leave them saying how to go on."""
    results: list[AppRecord] = []
    submitted: list[AppRecord] = []

    def stopped(stop: Interrupted) -> None:
        err.print(f"\n{stop.signal}: stopped driving")
        for record in submitted:
            message = ctl.interrupted(record)
            if message:
                err.print(Text(f"{record.name}: {message}"))
        again = " ".join(f"-f {f}" for f in files)
        err.print(Text(f"  continue with: vessel up {again}   (or keep `vessel run` running)"))

    with interruptible(stopped):
        for app in apps:
            results.append(_up_one(ctl, app, registry, wait, timeout, submitted))
    return results


def _source_dir(app: Application) -> str | None:
    """The directory of the Application's file: local processes see it as $(VESSEL_SOURCE_DIR), so an app
    can run scripts shipped next to its YAML. Handed to the controller beside the Application, never
    written into it (no machine path in a revision, its digest or a delivered object)."""
    return None if app.source.file is None else str(Path(app.source.file).resolve().parent)


def _up_one(
    ctl: Controller, app: Application, registry: Registry, wait: bool, timeout: str, driven: list[AppRecord]
) -> AppRecord:
    submitted = ctl.submit(app, registry, source_dir=_source_dir(app))
    driven.append(submitted.app)
    if submitted.revision is None:
        out.print(f"{app.name}: unchanged (revision {submitted.app.revision})")
    else:
        out.print(f"{app.name}: revision {submitted.revision} created")
    if submitted.moved is not None:
        out.print(Text(f"  placement changes: {submitted.moved.describe()}", style="yellow"))
    for warning in submitted.warnings:
        err.print(styled("warning:", "yellow", f" {app.name}: {warning}"))
    return drive(ctl, submitted.app, timeout) if wait else submitted.app
