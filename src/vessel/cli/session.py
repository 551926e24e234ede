"""Opening the store and a controller for one CLI command (embedded mode: the command drives the work).

Once the store is open — VESSEL_HOME is in use — a home that other users can read is named on stderr,
once per command (see `vessel.home`); a command whose store cannot be opened says only that.

Four ways in, from the cheapest: `records()` for a command that only reads records (ls, events,
revision list: no controller is imported at all), `status_reader()` for status (records, live objects,
its revisions' definitions: still no controller), `reader()` for one that reads more of what is
delivered (diff, logs, a watched status), `controller()` for one that drives work. The first two read a
current SQLite store without SQLAlchemy (`open_records`). The definition registry is built only
when something asks for it (`Controller.live_registry`): reading commands never do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text

from vessel.cli.report import err, styled
from vessel.controller.reader import StoreReader
from vessel.errors import VesselError
from vessel.home import exposure

if TYPE_CHECKING:
    from vessel.controller.controller import Controller
    from vessel.controller.status_reader import StatusReader
    from vessel.definitions.definition import Definition
    from vessel.definitions.registry import Registry
    from vessel.store.reads import RecordReads
    from vessel.store.store import Store


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
    from vessel.store.location import existing_url

    if store is not None:
        return addon_definitions(store)
    from vessel.store.store import Store

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
    from vessel.store.store import Store  # SQLAlchemy: not a cost of the commands that only read

    store = Store.open()
    _warn_about_an_exposed_home()
    _say_no_server_is_asked()
    return store


def open_records() -> RecordReads:
    """The store, for reading only: a SQLite file whose schema is current is read with the standard
    library (`store/sqlite_reads.py`: no SQLAlchemy to import); any other store, and a SQLite file that
    is new, old or not a database, is opened as every command opens it."""
    from vessel.store.location import default_url
    from vessel.store.sqlite_reads import open_reads

    reads = open_reads(default_url())
    _warn_about_an_exposed_home()
    return reads


@contextmanager
def records() -> Iterator[StoreReader]:
    """The store's records, for a command that reads nothing else (and writes nothing)."""
    store = open_records()
    try:
        yield StoreReader(store)
    finally:
        store.close()


@contextmanager
def status_reader() -> Iterator[StatusReader]:
    """What an application's status reads — records, live objects, its revisions' definitions — for
    `vessel status`: no controller imported, and no SQLAlchemy either when `open_records` need not."""
    from vessel.controller.status_reader import StatusReader
    from vessel.store.sqlite_reads import SqliteReads

    store = open_records()
    # Today's definitions, if a snapshot names a plugin's: the SQLite reader reads no addon, so then a
    # Store is opened for them (`installed_definitions`).
    live = None if isinstance(store, SqliteReads) else cast("Store", store)
    reading = StatusReader(store, lambda: live_registry(store=live))
    try:
        yield reading
    finally:
        reading.close()
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
