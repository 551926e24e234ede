"""Opening the store and a controller for one CLI command (embedded mode: the command drives the work)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.text import Text

from vessel.cli.report import err
from vessel.controller.controller import Controller
from vessel.definitions.registry import Registry, build_registry, directories_from_env
from vessel.store.store import Store


def live_registry(definitions: Sequence[Path] | None = None) -> Registry:
    return build_registry([*directories_from_env(), *(str(d) for d in definitions or [])])


@contextmanager
def controller(registry: Registry | None = None) -> Iterator[Controller]:
    store = Store.open()
    ctl = Controller(store, registry=registry or live_registry())
    ctl.outages.notice = lambda message: err.print(Text(message, style="yellow"))  # waits it out, saying so
    try:
        yield ctl
    finally:
        ctl.close()
        store.close()


@contextmanager
def reader() -> Iterator[Controller]:
    """A controller for a command that only reads (status, ls, diff, logs…): it drives nothing, so it
    holds no lease to release on the way out, and the store sees no write at all."""
    store = Store.open()
    try:
        yield Controller(store, registry=live_registry())
    finally:
        store.close()
