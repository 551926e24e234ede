"""The embedded client: each operation of `backend.Client` done in this process, on this machine's store,
by the controller functions the API's handlers call too (so both answer with the same documents).

Each call opens the store for itself the cheapest way that serves it (`cli/session.py`: `records()` for
what only reads records, `reader()` for what reads what is delivered) and closes it again: a command
asks one thing. Imports are inside the calls, so choosing this client costs nothing until it is used.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

from vessel.cli.backend import Document, LogRequest, Observation


class EmbeddedClient:
    def applications(self, namespace: str | None) -> list[Document]:
        from vessel.cli.session import records
        from vessel.controller.views import application_list

        with records() as store:
            return application_list(store, namespace)

    def status(self, namespace: str, name: str, *, tree: bool = False) -> Document:
        from vessel.cli.session import status_reader
        from vessel.controller.status import status_of

        with status_reader() as reading:  # no controller: status reads, and imports, only what it shows
            return status_of(reading, reading.find(namespace, name), instances=tree)

    def watch(
        self, namespace: str, name: str, *, tree: bool = False, timeout: float | None = None
    ) -> Iterator[Observation]:
        from vessel.cli.session import reader
        from vessel.controller.watch import watch

        with reader() as ctl:
            for change in watch(ctl, namespace, name, instances=tree, timeout=timeout):
                yield Observation(change.document, change.settled, change.failed, change.driven)

    def events(self, namespace: str, name: str) -> list[Document]:
        from vessel.cli.session import records
        from vessel.controller.views import event_list

        with records() as store:
            return event_list(store, store.find(namespace, name))

    def revisions(self, namespace: str, name: str) -> list[Document]:
        from vessel.cli.session import records
        from vessel.controller.views import revision_list

        with records() as store:
            return revision_list(store, store.find(namespace, name))

    def manifests(self, namespace: str, name: str, number: int) -> Document:
        from vessel.cli.session import reader
        from vessel.controller.applying import manifest_list, manifest_sources
        from vessel.controller.manifests import revision_manifests

        with reader() as ctl:
            rendered = revision_manifests(ctl, ctl.find(namespace, name), number)
        return {**manifest_list(rendered), "sources": manifest_sources(rendered)}

    def diff(self, namespace: str, name: str) -> list[Document]:
        from vessel.cli.session import reader
        from vessel.controller.diff import diff_app

        with reader() as ctl:
            return [r.document() for r in diff_app(ctl, ctl.find(namespace, name))]

    def logs(self, namespace: str, name: str, asked: LogRequest) -> Generator[tuple[str, str], None, None]:
        from vessel.cli.session import reader
        from vessel.controller.logs import LogOptions, in_turn, log_streams, merged

        options = LogOptions(asked.tail, asked.since, asked.timestamps, asked.follow)
        with reader() as ctl:
            streams = log_streams(ctl, ctl.find(namespace, name), asked.component, options)
            for line in merged(streams) if asked.follow else in_turn(streams):
                if line is not None:
                    yield line

    def targets(self) -> list[Document]:
        from vessel.cli.session import controller
        from vessel.controller.targets import target_list

        with controller() as ctl:
            return target_list(ctl)

    def definitions(self) -> list[Document]:
        return self.definitions_from(None)

    def definitions_from(self, directories: Sequence[Path] | None) -> list[Document]:
        from vessel.cli.session import live_registry
        from vessel.controller.views import definition_list

        return definition_list(live_registry(directories).all())

    def definition(self, name: str, kind: str | None) -> Document:
        return self.definition_from(name, kind, None)

    def definition_from(self, name: str, kind: str | None, directories: Sequence[Path] | None) -> Document:
        from vessel.cli.session import live_registry
        from vessel.controller.views import definition, find_definition

        return definition(find_definition(live_registry(directories), name, kind))

    def render_definition(self, name: str, kind: str | None, properties: Document) -> Document:
        return self.render_definition_from(name, kind, properties, None)

    def render_definition_from(
        self, name: str, kind: str | None, properties: Document, directories: Sequence[Path] | None
    ) -> Document:
        from vessel.cli.session import live_registry
        from vessel.controller.authoring import rendered
        from vessel.controller.views import find_definition

        registry = live_registry(directories)
        return rendered(registry, find_definition(registry, name, kind), properties)

    def vet_definitions(self, files: Sequence[Path]) -> list[Document]:
        from vessel.controller.authoring import vetted
        from vessel.definitions.registry import load_path

        return vetted([d for f in files for d in load_path(f)])
