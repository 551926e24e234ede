"""Opening the store and a controller for one CLI command (embedded mode: the command drives the work).

Once the store is open — VESSEL_HOME is in use — a home that other users can read is named on stderr,
once per command (see `vessel.home`); a command whose store cannot be opened says only that.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from rich.text import Text

from vessel.cli.report import err, styled
from vessel.controller.controller import Controller
from vessel.definitions.registry import Registry, build_registry, directories_from_env
from vessel.home import exposure
from vessel.store.store import Store


def live_registry(definitions: Sequence[Path] | None = None) -> Registry:
    return build_registry([*directories_from_env(), *(str(d) for d in definitions or [])])


@cache
def _warn_about_an_exposed_home() -> None:  # cached: once per command
    if warning := exposure():
        err.print(styled("warning: ", "bold yellow", warning))


def open_store() -> Store:
    store = Store.open()
    _warn_about_an_exposed_home()
    return store


@contextmanager
def controller(registry: Registry | None = None) -> Iterator[Controller]:
    store = open_store()
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
    store = open_store()
    try:
        yield Controller(store, registry=live_registry())
    finally:
        store.close()
