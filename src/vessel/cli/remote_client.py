"""The remote client: each operation of `backend.Client` as a request to a `vessel server`
(`cli/remote.py` sends it and turns problem+json back into Vessel's errors), and the few a command that
delivers needs besides (apply, dry-run, delete, the workflow operations, the targets' administration).

A watch polls the status document every `POLL_S` and reports it when it changed, judged by the server
as `vessel status -w` judges it in this process (`controller.watch`, sent as `Vessel-Settled`,
`Vessel-Failed` and `Vessel-Driven` headers): the same observations, a request at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vessel.cli.backend import Document, LogRequest, Observation
from vessel.cli.connection import Connection
from vessel.cli.remote import PAGE, Body, Remote, app_path, in_files
from vessel.errors import DefinitionError, Location, NotFoundError, TargetUnavailableError, ValidationError

POLL_S = 0.5


def files_body(files: Sequence[Path], definitions: Sequence[Path] = ()) -> Body:
    """The files (and every YAML file of the definition directories) as one YAML stream, remembering
    which lines came from which file. Definitions sent this way are the request's only, as
    `--definitions` are the command's only in embedded mode."""
    chunks: list[str] = []
    parts: list[tuple[int, str]] = []
    line = 1
    for path in [*files, *_yaml_files(definitions)]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(
                f"{path}: cannot be read: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        if chunks:
            chunks.append("---\n")
            line += 1
        parts.append((line, str(path)))
        text = text if text.endswith("\n") or not text else text + "\n"
        chunks.append(text)
        line += text.count("\n")
    return Body("".join(chunks), tuple(parts))


def _yaml_files(directories: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for place in directories:
        if place.is_dir():
            found += sorted(p for p in place.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            found.append(place)
    return found


class RemoteClient:
    def __init__(self, connection: Connection):
        self.server = Remote(connection)
        self.url = connection.url

    def check(self) -> None:
        """Ask something every valid token may ask: a bad token or a wrong URL raises."""
        self.server.get("/api/v1/applications", limit=1)

    # --- what every client answers (backend.Client) ---------------------------------------------------

    def applications(self, namespace: str | None) -> list[Document]:
        found: list[Document] = []
        after = None
        while True:
            page = self.server.get(
                "/api/v1/applications", namespace=namespace, limit=PAGE, **{"continue": after}
            )
            found += page["items"]
            after = page["continue"]
            if after is None:
                return found

    def status(self, namespace: str, name: str, *, tree: bool = False) -> Document:
        document: Document = self.server.get(app_path(namespace, name), tree=tree or None)
        return document

    def observe(self, namespace: str, name: str, *, tree: bool = False) -> Observation:
        """The status and how a watch judges it; the document is None once the application is gone."""
        try:
            answer = self.server.call("GET", app_path(namespace, name), query={"tree": tree or None})
        except NotFoundError:
            return Observation(None, True, False, False)
        flags = {k.lower(): v == "true" for k, v in answer.headers.items()}
        return Observation(
            answer.document,
            flags.get("vessel-settled", False),
            flags.get("vessel-failed", False),
            flags.get("vessel-driven", True),
        )

    def watch(
        self, namespace: str, name: str, *, tree: bool = False, timeout: float | None = None
    ) -> Iterator[Observation]:
        self.status(namespace, name)  # NotFoundError if it does not exist to begin with
        deadline = None if timeout is None else time.monotonic() + timeout
        last: Observation | None = None
        while True:
            seen = self.observe(namespace, name, tree=tree)
            if last is None or _differs(seen, last):
                yield seen
                last = seen
            if seen.settled or (deadline is not None and time.monotonic() >= deadline):
                return
            pause = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
            time.sleep(max(0.0, pause))

    def events(self, namespace: str, name: str) -> list[Document]:
        found: list[Document] = self.server.get(app_path(namespace, name, "/events"))
        return found

    def revisions(self, namespace: str, name: str) -> list[Document]:
        found: list[Document] = self.server.get(app_path(namespace, name, "/revisions"))
        return found

    def manifests(self, namespace: str, name: str, number: int) -> Document:
        found: Document = self.server.get(app_path(namespace, name, f"/revisions/{number}/manifests"))
        return found

    def diff(self, namespace: str, name: str) -> list[Document]:
        found: list[Document] = self.server.get(app_path(namespace, name, "/diff"))
        return found

    def logs(self, namespace: str, name: str, asked: LogRequest) -> Generator[tuple[str, str], None, None]:
        """The server's stream: a JSON object per line (`component`, `line`), blank lines while a
        followed log is quiet, `error` when reading a target failed midway."""
        query = {
            "component": asked.component,
            "tail": asked.tail,
            "since": asked.since,
            "timestamps": asked.timestamps or None,
            "follow": asked.follow or None,
        }
        with self.server.stream("GET", app_path(namespace, name, "/logs"), query) as lines:
            for raw in lines:
                if not raw.strip():
                    continue  # the server saying it is still there
                item = json.loads(raw)
                if "error" in item:
                    raise TargetUnavailableError(str(item["error"]))
                yield str(item["component"]), str(item["line"])

    def targets(self) -> list[Document]:
        found: list[Document] = self.server.get("/api/v1/targets")
        return found

    def definitions(self) -> list[Document]:
        found: list[Document] = self.server.get("/api/v1/definitions")
        return found

    def definition(self, name: str, kind: str | None) -> Document:
        found: Document = self.server.get(f"/api/v1/definitions/{_segment(name)}", kind=kind)
        return found

    def render_definition(self, name: str, kind: str | None, properties: Document) -> Document:
        found: Document = self.send(
            "POST", "/api/v1/definitions/render", {"name": name, "kind": kind, "properties": properties}
        )
        return found

    def vet_definitions(self, files: Sequence[Path]) -> list[Document]:
        """The files sent as one body; each definition's origin is the file its line is in, and a line
        of the body in a note (or an error) is told as the line of its file."""
        for path in files:
            if not path.exists():  # as `load_path` says it, before anything is sent
                raise DefinitionError("definitions path does not exist", Location(str(path)))
        body = files_body((), files)
        answer = self.server.call("POST", "/api/v1/definitions/vet", body=body)
        rows: list[Document] = answer.document
        for row in rows:
            where = body.where(row.get("line"))
            row["origin"], row["line"] = where.file or row["origin"], where.line
            row["notes"] = [in_files(note, body) for note in row["notes"]]  # `[template at FILE:LINE…]`
        return rows

    # --- what delivers ---------------------------------------------------------------------------------

    def apply(self, body: Body, namespace: str | None) -> Document:
        """Store a revision of each Application in `body` and start its run; the server drives it."""
        answer = self.server.call("POST", "/api/v1/applications", query={"namespace": namespace}, body=body)
        document: Document = answer.document
        return document

    def dry_run(self, body: Body, namespace: str | None) -> Document:
        answer = self.server.call("POST", "/api/v1/dry-run", query={"namespace": namespace}, body=body)
        document: Document = answer.document
        return document

    def delete(self, namespace: str, name: str, *, orphan: bool = False) -> Document:
        """Delete; `deleted` says whether it is done (else the server goes on retrying)."""
        answer = self.server.call("DELETE", app_path(namespace, name), query={"orphan": orphan or None})
        document: Document = answer.document
        return document

    def operate(self, namespace: str, name: str, operation: str, revision: str | None = None) -> Document:
        """A workflow operation (suspend, resume, terminate, restart, rollback); the status after it."""
        path = app_path(namespace, name, f"/workflow/{operation}")
        document: Document = self.server.call("POST", path, query={"revision": revision}).document
        return document

    def send(self, method: str, path: str, document: Document | None = None) -> Any:
        """A change the server makes (a JSON body, when given); what it answers."""
        body = Body(json.dumps(document), content_type="application/json") if document is not None else None
        return self.server.call(method, path, body=body).document

    def add_target(self, target: Document) -> Document:
        body = Body(json.dumps(target), content_type="application/json")
        document: Document = self.server.call("POST", "/api/v1/targets", body=body).document
        return document

    def set_default_target(self, name: str) -> Document:
        document: Document = self.server.call("PUT", f"/api/v1/targets/{_segment(name)}/default").document
        return document

    def remove_target(self, name: str) -> Document:
        document: Document = self.server.call("DELETE", f"/api/v1/targets/{_segment(name)}").document
        return document


def _segment(value: str) -> str:
    return quote(value, safe="")


def _differs(a: Observation, b: Observation) -> bool:
    same = json.dumps(a.document, sort_keys=True) == json.dumps(b.document, sort_keys=True)
    return not same or (a.settled, a.driven) != (b.settled, b.driven)


def not_remotely(what: str, why: str) -> ValidationError:
    """A command (or option) that does not work through a server, saying so rather than doing it here."""
    return ValidationError(
        f"{what} does not work through a Vessel server: {why}",
        hint="unset VESSEL_SERVER (or `vessel logout`) to run it on this machine",
    )
