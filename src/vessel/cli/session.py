"""Opening the store and a controller for one CLI command (embedded mode: the command drives the work).

Once the store is open — VESSEL_HOME is in use — a home that other users can read is named on stderr,
once per command (see `vessel.home`); a command whose store cannot be opened says only that.

Three ways in, from the cheapest: `records()` for a command that only reads records (ls, events,
revision list: no controller is imported at all), `reader()` for one that reads what is delivered too
(status, diff, logs), `controller()` for one that drives work. The definition registry is built only
when something asks for it (`Controller.live_registry`): reading commands never do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from vessel.cli.report import err, styled
from vessel.controller.reader import StoreReader
from vessel.errors import VesselError
from vessel.home import exposure
from vessel.store.store import Store

if TYPE_CHECKING:
    from vessel.controller.controller import Controller
    from vessel.definitions.definition import Definition
    from vessel.definitions.registry import Registry


def live_registry(definitions: Sequence[Path] | None = None, store: Store | None = None) -> Registry:
    """Built-ins, plugins, the enabled addons (from `store`, or from the store opened for them), and the
    definition directories."""
    from vessel.definitions.registry import build_registry, directories_from_env

    directories = [*directories_from_env(), *(str(d) for d in definitions or [])]
    installed = installed_definitions(store)
    return build_registry(directories, installed=installed)


def installed_definitions(store: Store | None = None) -> list[Definition]:
    """The enabled addons' definitions: every process sees the same ones, because they are in the store."""
    from vessel.addons.installed import addon_definitions
    from vessel.store.connect import existing_url

    if store is not None:
        return addon_definitions(store)
    url = existing_url()
    if url is None:
        return []  # no store yet, so no addon enabled: reading commands (dry-run, vet) never create one
    opened = Store.open(url)
    try:
        return addon_definitions(opened)
    finally:
        opened.close()


@cache
def _warn_about_an_exposed_home() -> None:  # cached: once per command
    if warning := exposure():
        err.print(styled("warning: ", "bold yellow", warning))


@cache
def _say_no_server_is_asked() -> None:  # cached: once per command
    """A command that works on this machine's store while a server is configured says so (`vessel user
    add` after `vessel login` adds a user here, not on the server); the application commands never get
    here then (`cli/backend.py`)."""
    from vessel.cli.connection import configured

    try:
        server = configured()
    except VesselError:
        return
    if server is not None:
        note = f"this command works on this machine's store, not through the server {server.url}"
        err.print(styled("note: ", "cyan", note))


def open_store() -> Store:
    store = Store.open()
    _warn_about_an_exposed_home()
    _say_no_server_is_asked()
    return store


@contextmanager
def records() -> Iterator[StoreReader]:
    """The store's records, for a command that reads nothing else (and writes nothing)."""
    store = open_store()
    try:
        yield StoreReader(store)
    finally:
        store.close()


@contextmanager
def controller(registry: Registry | None = None) -> Iterator[Controller]:
    from vessel.controller.controller import Controller  # the engine: only for commands that use it

    store = open_store()
    ctl = Controller(store, registry=registry or (lambda: live_registry(store=store)))
    ctl.outages.notice = lambda message: err.print(Text(message, style="yellow"))  # waits it out, saying so
    try:
        yield ctl
    finally:
        ctl.close()
        store.close()


@contextmanager
def reader() -> Iterator[Controller]:
    """A controller for a command that only reads (status, diff, logs…): it drives nothing, so it
    holds no lease to release on the way out, and the store sees no write at all."""
    from vessel.controller.controller import Controller

    store = open_store()
    try:
        yield Controller(store, registry=lambda: live_registry(store=store))
    finally:
        store.close()
