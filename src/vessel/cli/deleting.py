"""`vessel delete NAME` in embedded mode: delete an application and everything it delivered, from this
process (`cli/delete.py` is the command).

On a terminal it asks first (`-y/--yes` does not); a script (stdin not a terminal) is not asked. It
waits until everything is deleted or `--timeout` passes, retrying failed deletes when their backoff
says (the controller keeps the count and the next attempt in the store, so `vessel run` and a later
`vessel delete` go on from there), and prints each resource that starts failing once, not once per
attempt. `--orphan` is for a target that is gone: what cannot be deleted now is left in place and
forgotten, and each such resource is named with the reason.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from vessel.cli.report import err, out
from vessel.cli.session import controller
from vessel.controller.controller import Controller
from vessel.store.records import AppRecord, InventoryEntry


def delete_here(namespace: str, name: str, wait: bool, seconds: float, orphan: bool, yes: bool) -> None:
    """Delete from this process, retrying as the backoff says until done or `seconds` pass."""
    with controller() as ctl:
        app = ctl.find(namespace, name)
        if not yes and sys.stdin.isatty() and not _confirmed(ctl, app, orphan):
            err.print(f"{namespace}/{name} not deleted")
            raise typer.Exit(1)
        if orphan:
            _report_orphans(ctl.delete_orphaning(app))
        elif not _delete_until(ctl, app, wait, seconds):
            _report_left(ctl, ctl.find(namespace, name))
            raise typer.Exit(1)
    out.print(f"{name} deleted")


def _confirmed(ctl: Controller, app: AppRecord, orphan: bool) -> bool:
    entries = ctl.store.inventory(app.id)
    where = sorted({e.target for e in entries})
    what = f" and the {len(entries)} resource(s) it delivered on {', '.join(where)}" if entries else ""
    extra = "; what cannot be deleted now is left in place" if orphan else ""
    return typer.confirm(f"Delete application {app.namespace}/{app.name}{what}{extra}?", default=False)


def _delete_until(ctl: Controller, app: AppRecord, wait: bool, seconds: float) -> bool:
    """Delete, retrying as the backoff says, until nothing is left or `seconds` pass; True if done."""
    deadline = ctl.clock.now() + seconds
    told: set[tuple[str, str]] = set()
    while not ctl.delete(app):
        app = ctl.find(app.namespace, app.name)
        _report_new_failures(ctl, app, told)
        due = ctl.next_delete_due(app)
        now = ctl.clock.now()
        if not wait or now >= deadline or due is None:
            return False
        ctl.clock.sleep(max(0.0, min(due, deadline) - now))
    return True


def _report_new_failures(ctl: Controller, app: AppRecord, told: set[tuple[str, str]]) -> None:
    for entry in ctl.store.inventory(app.id):
        if entry.last_error and (entry.target, str(entry.key)) not in told:
            told.add((entry.target, str(entry.key)))
            err.print(Text(f"  cannot delete {entry.key} on {entry.target}: {entry.last_error}"))


def _report_left(ctl: Controller, app: AppRecord) -> None:
    left = ctl.store.inventory(app.id)
    due = ctl.next_delete_due(app)
    when = f"; next attempt in {max(0.0, due - ctl.clock.now()):.0f}s" if due is not None else ""
    err.print(f"{app.name}: still deleting, {len(left)} resource(s) left{when}")
    err.print(
        f"  `vessel run` keeps retrying; `vessel delete {app.name} -n {app.namespace} --orphan` leaves "
        "what cannot be deleted in place and forgets it"
    )


def _report_orphans(left: list[InventoryEntry]) -> None:
    for entry in left:
        why = entry.last_error or "not deleted"
        out.print(Text(f"  left {entry.key} on {entry.target} in place: {why}"))
    if left:
        out.print(f"  {len(left)} resource(s) left in place are no longer tracked by Vessel")
