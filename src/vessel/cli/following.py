"""The commands that deliver, in remote mode: the server drives the workflow, this command follows it.

`up`, `delete` and the workflow operations ask the server (which answers at once: apply is 202), then,
with `--wait`, follow the application's status — a request every `POLL_S` — printing a line per step
that changed (`cli/step_lines.py`) and, when it settles, the lines embedded mode prints
(`cli/settled.py`). The wait ends as embedded mode's does: the run finished and was checked, or it waits
for a person; `--timeout` bounds it (exit 1, naming what it still waits for: the server goes on). Ctrl-C
stops following only — the server keeps driving, and the command says so (exit 130).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from vessel.cli.interrupt import Interrupted, interruptible
from vessel.cli.notes import show_notes, show_warnings
from vessel.cli.remote import in_files
from vessel.cli.remote_client import RemoteClient, files_body
from vessel.cli.report import err, out, styled
from vessel.cli.settled import OK_PHASES, SERVER_GOES_ON, gave_up, write_outcome
from vessel.cli.step_lines import StepLines
from vessel.cli.timeouts import timeout_seconds

POLL_S = 0.5
FINISHED = ("succeeded", "failed", "terminated")  # a run's phases once it is over (store.records.RunPhase)


@contextmanager
def watching(what: str) -> Iterator[None]:
    """Ctrl-C or SIGTERM while following: stop following, say the server goes on, exit 130."""

    def stopped(stop: Interrupted) -> None:
        err.print(Text(f"\n{stop.signal}: stopped following {what}; the server goes on driving it"))

    with interruptible(stopped):
        yield


def up(
    server: RemoteClient,
    files: Sequence[Path],
    definitions: Sequence[Path],
    namespace: str | None,
    wait: bool,
    timeout: str,
) -> bool:
    """`vessel up` through the server; whether every application ended running (or suspended)."""
    timeout_seconds(timeout)  # a wrong duration is reported before anything is sent
    body = files_body(files, definitions)
    applied = server.apply(body, namespace)
    show_notes([in_files(n, body) for n in applied.get("notes", [])])
    show_warnings([in_files(w, body) for w in applied.get("warnings", [])])
    phases = []
    with watching("the workflows"):
        for app in applied["applications"]:
            _submitted(app)
            if wait:
                phases.append(follow(server, app["namespace"], app["name"], timeout))
    return all(p in OK_PHASES for p in phases)


def _submitted(app: dict[str, Any]) -> None:
    name = app["name"]
    if app["created"]:
        out.print(f"{name}: revision {app['revision']} created")
    else:
        out.print(f"{name}: unchanged (revision {app['revision']})")
    if app.get("placementChanges"):
        out.print(Text(f"  placement changes: {app['placementChanges']}", style="yellow"))
    for warning in app.get("warnings", []):
        err.print(styled("warning:", "yellow", f" {name}: {warning}"))


def follow(server: RemoteClient, namespace: str, name: str, timeout: str) -> str:
    """Print the run's progress until it settles or `timeout` passes, then how it ended; its phase."""
    deadline = time.monotonic() + timeout_seconds(timeout)
    lines = StepLines(out, steady=True)
    while True:
        seen = server.observe(namespace, name)
        doc = seen.document
        if doc is None:
            err.print(f"{namespace}/{name} was deleted")
            return "deleted"
        lines(doc["workflow"].get("revision"), doc["workflow"])
        if seen.settled or (doc["workflow"]["phase"] in FINISHED and doc["phase"] != "runningWorkflow"):
            break
        if time.monotonic() >= deadline:
            if doc["phase"] == "runningWorkflow":
                gave_up(name, namespace, doc["workflow"], timeout, SERVER_GOES_ON)
                return str(doc["phase"])
            break
        time.sleep(POLL_S)
    person = seen.settled and doc["workflow"]["phase"] == "suspending"
    write_outcome(name, namespace, doc["phase"], doc["message"], doc["revision"], person)
    return str(doc["phase"])


def delete(
    server: RemoteClient, namespace: str, name: str, wait: bool, seconds: float, orphan: bool, yes: bool
) -> None:
    """`vessel delete` through the server: it deletes (and goes on retrying); this waits for it."""
    if not yes and sys.stdin.isatty() and not _confirmed(server.status(namespace, name), orphan):
        err.print(f"{namespace}/{name} not deleted")
        raise typer.Exit(1)
    answer = server.delete(namespace, name, orphan=orphan)
    if orphan:
        _report_orphans(answer.get("leftInPlace", []))
    elif not answer.get("deleted") and not _gone(server, namespace, name, wait, seconds):
        raise typer.Exit(1)
    out.print(f"{name} deleted")


def _confirmed(doc: dict[str, Any], orphan: bool) -> bool:
    resources = doc["resources"]
    where = sorted({r["target"] for r in resources})
    what = f" and the {len(resources)} resource(s) it delivered on {', '.join(where)}" if resources else ""
    extra = "; what cannot be deleted now is left in place" if orphan else ""
    return typer.confirm(f"Delete application {doc['namespace']}/{doc['name']}{what}{extra}?", default=False)


def _gone(server: RemoteClient, namespace: str, name: str, wait: bool, seconds: float) -> bool:
    """Whether the server finished deleting within `seconds` (it goes on retrying either way)."""
    deadline = time.monotonic() + seconds
    while True:
        seen = server.observe(namespace, name)
        if seen.document is None:
            return True
        if not wait or time.monotonic() >= deadline:
            left = len(seen.document["resources"])
            err.print(f"{name}: still deleting, {left} resource(s) left; the server keeps retrying")
            err.print(
                f"  `vessel delete {name} -n {namespace} --orphan` leaves what cannot be deleted in place "
                "and forgets it"
            )
            return False
        time.sleep(POLL_S)


def _report_orphans(left: list[dict[str, Any]]) -> None:
    for entry in left:
        out.print(
            Text(
                f"  left {entry['resource']} on {entry['target']} in place: "
                + (entry["reason"] or "not deleted")
            )
        )
    if left:
        out.print(f"  {len(left)} resource(s) left in place are no longer tracked by Vessel")
