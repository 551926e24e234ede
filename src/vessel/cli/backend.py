"""How a command reaches Vessel — the one place that decides it: a `vessel server` when one is configured
(`vessel login`, or VESSEL_SERVER and VESSEL_TOKEN: `cli/connection.py`), this machine's store otherwise.

Commands call the operations of `Client` and print what they return, whichever implementation answers:
`EmbeddedClient` (cli/embedded.py: the controller, in this process, as always) or `RemoteClient`
(cli/remote_client.py: the API over HTTP, with nothing of the store imported). Both return the same
documents — the API's handlers call the controller functions the embedded client calls — so a command
prints the same thing either way. The commands that drive a workflow (`up`, `delete`, the workflow
operations) drive it in this process when embedded, and follow the server as it drives it when remote
(`remote()` tells them which; cli/following.py); what they print comes from the same functions.

This module imports no implementation until one is chosen: the remote one never loads SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vessel.cli.connection import configured

if TYPE_CHECKING:
    from vessel.cli.remote_client import RemoteClient

Document = dict[str, Any]


@dataclass(frozen=True)
class Observation:
    """The application's status as a watch sees it (`controller.watch.Change`): its document (None
    once deleted), whether it settled, and if so badly, and whether a live process drives it."""

    document: Document | None
    settled: bool
    failed: bool
    driven: bool


@dataclass(frozen=True)
class LogRequest:
    """What `vessel logs` asks: one component's or every one's, the last `tail` lines of each instance,
    those of the last `since` seconds, with each line's time, followed."""

    component: str | None = None
    tail: int | None = None
    since: float | None = None
    timestamps: bool = False
    follow: bool = False


class Client(Protocol):
    """What the application commands ask; each answer is the document `-o json` prints."""

    def applications(self, namespace: str | None) -> list[Document]:
        """`vessel ls`: one namespace's applications, or every one (None)."""

    def status(self, namespace: str, name: str, *, tree: bool = False) -> Document:
        """`vessel status`: the status document (`tree`: with each workload's instances)."""

    def watch(
        self, namespace: str, name: str, *, tree: bool = False, timeout: float | None = None
    ) -> Iterator[Observation]:
        """`vessel status -w`: the status now, then at each change, until it settles or is deleted."""

    def events(self, namespace: str, name: str) -> list[Document]:
        """`vessel events`: what happened to the application, oldest first."""

    def revisions(self, namespace: str, name: str) -> list[Document]:
        """`vessel revision list`."""

    def manifests(self, namespace: str, name: str, number: int) -> Document:
        """`vessel revision show`: what revision `number` renders, as a `List` with its `sources`."""

    def diff(self, namespace: str, name: str) -> list[Document]:
        """`vessel diff`: each resource's live state against the desired one."""

    def logs(self, namespace: str, name: str, asked: LogRequest) -> Generator[tuple[str, str], None, None]:
        """`vessel logs`: (component, line) as they come; close it to stop following."""

    def targets(self) -> list[Document]:
        """`vessel target list`."""

    def definitions(self) -> list[Document]:
        """`vessel def list` (the server's definitions, when remote)."""

    def definition(self, name: str, kind: str | None) -> Document:
        """`vessel def show`."""

    def render_definition(self, name: str, kind: str | None, properties: Document) -> Document:
        """`vessel def render`: the definition rendered with `properties`, as a `List` with `sources`
        (with the server's definitions, when remote)."""

    def vet_definitions(self, files: Sequence[Path]) -> list[Document]:
        """`vessel def vet`: the definitions of `files` (YAML files or directories of them), each with
        its notes; the first problem raised, naming its file and line."""


def remote() -> RemoteClient | None:
    """The configured server's client, or None: embedded mode."""
    connection = configured()
    if connection is None:
        return None
    from vessel.cli.remote_client import RemoteClient

    return RemoteClient(connection)


def client() -> Client:
    """The client of this command: the server's when one is configured, this machine's otherwise."""
    found = remote()
    if found is not None:
        return found
    from vessel.cli.embedded import EmbeddedClient

    return EmbeddedClient()
