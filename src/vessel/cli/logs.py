"""`vessel logs NAME [--component C] [--follow] [--tail N]`: what an application's processes printed.

Without `--follow`, each workload's log is printed in turn (the last N lines of each instance). With it,
every workload is followed at once: the targets' own follow (`Target.logs(..., follow=True)`, which
tails files or streams pod logs) runs in a thread per workload, and lines are printed as they arrive,
from whichever workload wrote them. It ends when every workload's log has ended (deleted, its pods
gone) or on Ctrl-C, with exit code 130 as shells expect of an interrupted command.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.text import Text

from vessel.cli.options import Name, Namespace
from vessel.cli.report import out, reporting
from vessel.cli.session import controller
from vessel.controller.controller import Controller
from vessel.errors import NotFoundError
from vessel.store.records import AppRecord, InventoryEntry

INTERRUPTED = 130  # 128 + SIGINT


def logs(
    name: Name,
    namespace: Namespace = "default",
    component: Annotated[str | None, typer.Option("--component", "-c", help="Only this component.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", help="Only the last N lines of each.")] = None,
) -> None:
    """Print the logs of an application's workloads (on targets that keep logs)."""
    with reporting(), controller() as ctl:
        app = ctl.find(namespace, name)
        workloads = _workloads(ctl, app, component)
        if not follow:
            for entry in workloads:
                for line in ctl.targets.get(entry.target).logs(entry.key, tail):
                    _print(entry.component, line)
            return
        followed = [
            (entry.component, ctl.targets.get(entry.target).logs(entry.key, tail, follow=True))
            for entry in workloads
        ]
        try:
            _follow(followed)
        except KeyboardInterrupt:
            raise typer.Exit(INTERRUPTED) from None


def _print(component: str, line: str) -> None:
    out.print(Text(f"{component} | {line}"))


def _follow(followed: list[tuple[str, Iterator[str]]]) -> None:
    """Print every iterator's lines as they arrive until all have ended; an error in one is raised here.
    On the way out the iterators are closed: at once where idle, otherwise by their thread when it
    next wakes (a thread blocked waiting for a line ends with the process: they are daemons)."""
    arrived: queue.Queue[tuple[str, str] | Exception | None] = queue.Queue()
    stop = threading.Event()
    for component, lines in followed:
        thread = threading.Thread(
            target=_pump, args=(component, lines, arrived, stop), name=f"vessel-logs {component}", daemon=True
        )
        thread.start()
    try:
        running = len(followed)
        while running:
            item = arrived.get()
            if item is None:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                _print(*item)
    finally:
        stop.set()
        for _, lines in followed:
            _close(lines)


def _pump(
    component: str,
    lines: Iterator[str],
    arrived: queue.Queue[tuple[str, str] | Exception | None],
    stop: threading.Event,
) -> None:
    try:
        for line in lines:
            if stop.is_set():
                break
            arrived.put((component, line))
    except Exception as exc:  # raised by the main thread
        arrived.put(exc)
    finally:
        _close(lines)
        arrived.put(None)


def _close(lines: Iterator[str]) -> None:
    """Close a generator unless another thread is running it right now (that thread closes it)."""
    close = getattr(lines, "close", None)
    if close is not None and not getattr(lines, "gi_running", False):
        with contextlib.suppress(ValueError):  # it started running meanwhile
            close()


def _workloads(ctl: Controller, app: AppRecord, component: str | None) -> list[InventoryEntry]:
    found = [
        e
        for e in ctl.store.inventory(app.id)
        if not e.role and (component is None or e.component == component)
    ]
    if not found:
        what = f"component {component!r} of " if component else ""
        raise NotFoundError(f"no running workload for {what}{app.namespace}/{app.name}")
    return found
