"""`vessel logs NAME [-c C] [-f] [--tail N] [--since 5m] [--timestamps]`: what an application's
processes (local) or pods (Kubernetes) printed, as `kubectl logs` prints it.

`--since` and `--timestamps` rely on each line's time: the local target's shim stamps every line as the
workload writes it; Kubernetes' log API has `sinceSeconds` and `timestamps`. As the kubelet does,
`--tail` picks each instance's last lines first and `--since` then keeps the recent ones among them.

Without `--follow`, each workload's log is printed in turn (the last N lines of each instance). With it,
every workload is followed at once: the targets' own follow (`Target.logs(..., follow=True)`, which
tails files or streams pod logs) runs in a thread per workload, and lines are printed as they arrive,
from whichever workload wrote them. It ends when every workload's log has ended (deleted, its pods
gone) or on Ctrl-C, with exit code 130 as shells expect of an interrupted command.

With a server configured it says that it does not work through one (the API has no log endpoint yet)
rather than print this machine's logs for an application the server delivered.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.text import Text

from vessel.cli.backend import remote
from vessel.cli.options import Name, Namespace
from vessel.cli.report import out, reporting
from vessel.errors import ValidationError
from vessel.model.duration import parse_duration

INTERRUPTED = 130  # 128 + SIGINT


def logs(
    name: Name,
    namespace: Namespace = "default",
    component: Annotated[str | None, typer.Option("--component", "-c", help="Only this component.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[
        int | None, typer.Option("--tail", help="Only the last N lines of each (-1: all).", min=-1)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only lines newer than this (a duration: 5s, 2m, 3h).")
    ] = None,
    timestamps: Annotated[
        bool, typer.Option("--timestamps", help="Start each line with the time it was written (RFC 3339).")
    ] = False,
) -> None:
    """Print the logs of an application's workloads (on targets that keep logs)."""
    with reporting():
        if remote() is not None:
            from vessel.cli.remote_client import not_remotely

            raise not_remotely("vessel logs", "the server's API serves no logs yet")
        from vessel.cli.session import reader
        from vessel.controller.logs import LogOptions, log_streams

        options = LogOptions(None if tail == -1 else tail, _seconds(since), timestamps, follow)
        with reader() as ctl:
            streams = log_streams(ctl, ctl.find(namespace, name), component, options)
            if not follow:
                for comp, lines in streams:
                    for line in lines:
                        _print(comp, line)
                return
            try:
                _follow(streams)
            except KeyboardInterrupt:
                raise typer.Exit(INTERRUPTED) from None


def _seconds(since: str | None) -> float | None:
    if since is None:
        return None
    try:
        seconds = parse_duration(since)
    except ValueError as exc:
        raise ValidationError(f"--since: {exc}") from None
    if seconds <= 0:
        raise ValidationError(f"--since: {since!r} is not a positive duration", hint="e.g. 5s, 2m, 3h")
    return seconds


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
