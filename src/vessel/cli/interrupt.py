"""Ctrl-C and SIGTERM for commands that drive a workflow in this process (`up`, `workflow resume`…).

Such a command is the only thing moving its run forward unless a `vessel run` is running, so stopping
it must leave the truth behind: the lease released at once (another process may go on without waiting
for it to expire), the application saying it is interrupted and how to continue, exit code 130 and no
traceback. SIGTERM is handled like Ctrl-C. The signal arrives as `Interrupted`, a BaseException (as
KeyboardInterrupt is), so no `except Exception` on the way — a step's error handling, a deploy's
thread pool — mistakes it for a failure of the step in flight. Once stopping has begun, further
signals are ignored while `on_stop` cleans up, so a second Ctrl-C cannot cut it short. Blocks may nest
(`up` guards its loading too); the innermost one handles the signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import typer

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_CODE = 130  # what shells report for a command ended by Ctrl-C


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM arrived while this process was driving a workflow."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signal = signal.Signals(signum).name


def _stop(signum: int, _: FrameType | None) -> None:
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


@contextmanager
def interruptible(on_stop: Callable[[Interrupted], None]) -> Iterator[None]:
    """Run the block; on Ctrl-C or SIGTERM call `on_stop` (signals ignored meanwhile) and exit 130."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = {sig: signal.signal(sig, _stop) for sig in SIGNALS}
    try:
        yield
    except Interrupted as stop:
        on_stop(stop)
        raise typer.Exit(EXIT_CODE) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
