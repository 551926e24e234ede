"""Reading the user's files: Applications, the definitions that travel with them, and the standalone
`Policy`/`Workflow` objects they refer to (`model/references.py`).

Any other kind is refused, with what to do instead. A KubeVela file may hold a ConfigMap, a Secret or a
Namespace beside its Application, written for `kubectl apply -f`, which creates them next to the
Application (`vela up -f` reads the Application only). Vessel delivers Applications: an object outside
one would belong to no application's inventory — nothing would prune it, judge its health or delete it
with the application — so it is refused, and the error says to put it in a `k8s-objects` component,
where it is delivered, inventoried and pruned with the application, or to apply it with kubectl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vessel.definitions.definition import Definition
from vessel.definitions.loader import DEFINITION_KINDS, load_definition
from vessel.errors import ValidationError, VesselError, collecting, raise_collected
from vessel.model.application import Application
from vessel.model.parse import parse_application
from vessel.model.references import Standalone, resolve, unused_notes
from vessel.model.salvage import without_unknown_fields
from vessel.model.schema_check import show
from vessel.model.standalone import API_VERSION, parse_policy, parse_workflow
from vessel.model.yaml_source import Document, read_file, read_text

OAM_KINDS = ("Application", "Policy", "Workflow", *sorted(DEFINITION_KINDS))
WRAP_IT = (
    "Vessel delivers Applications: put this object in a component of type k8s-objects "
    "(properties.objects: [the object]) so it is delivered and pruned with the application, "
    "or apply it with kubectl"
)


@dataclass(frozen=True)
class LoadedFiles:
    applications: tuple[Application, ...]
    definitions: tuple[Definition, ...]
    notes: tuple[str, ...] = ()  # read but ignored: say so once

    def all_notes(self) -> list[str]:
        """The notes of the files and of every Application, in order."""
        return [*(n for app in self.applications for n in app.notes), *self.notes]


def load_files(paths: Iterable[str]) -> LoadedFiles:
    """Parse every document of every file; report every bad document, not just the first."""
    loaded, problems = read_files(paths)
    raise_collected(problems)
    return loaded


def load_text(text: str, name: str) -> LoadedFiles:
    """Parse one text as `load_files` parses a file — the same kinds, rules and errors — for input that
    is no file (an API request's body); `name` stands for the file in every error's location."""
    loaded, problems = _read_sources([(name, lambda: read_text(text, name))])
    raise_collected(problems)
    return loaded


def read_files(paths: Iterable[str], *, salvage: bool = False) -> tuple[LoadedFiles, list[VesselError]]:
    """What reads well of every file, and every problem found (for `vessel vet`, which goes on past
    a bad document to check the rest; with `salvage`, past an Application's unknown fields too:
    `model/salvage.py`)."""
    return _read_sources(((p, _file_reader(p)) for p in paths), salvage=salvage)


def _file_reader(path: str) -> Callable[[], list[Document]]:
    return lambda: read_file(path)


def _read_sources(
    sources: Iterable[tuple[str, Callable[[], list[Document]]]], *, salvage: bool = False
) -> tuple[LoadedFiles, list[VesselError]]:
    apps: list[Application] = []
    defs: list[Definition] = []
    found = Standalone()
    problems: list[VesselError] = []
    for path, documents in sources:
        with collecting(problems):
            for doc in documents():
                with collecting(problems):
                    if doc.kind == "Application":
                        if salvage:
                            doc, unknown = without_unknown_fields(doc)
                            problems.extend(unknown)
                        apps.append(parse_application(doc))
                    elif doc.kind in DEFINITION_KINDS:
                        defs.append(load_definition(doc, path))
                    elif doc.kind == "Policy" and _is_oam(doc):
                        found = Standalone((*found.policies, parse_policy(doc)), found.workflows)
                    elif doc.kind == "Workflow" and _is_oam(doc):
                        found = Standalone(found.policies, (*found.workflows, parse_workflow(doc)))
                    else:
                        raise _not_oam(doc)
    resolved, notes = _resolved(apps, found, problems)
    with collecting(problems):
        _check_unique_apps(resolved)
    return LoadedFiles(tuple(resolved), tuple(defs), tuple(notes)), problems


def _resolved(
    apps: list[Application], found: Standalone, problems: list[VesselError]
) -> tuple[list[Application], list[str]]:
    resolved: list[Application] = []
    used: set[str] = set()
    for app in apps:
        with collecting(problems):
            app, names = resolve(app, found)
            resolved.append(app)
            used |= names
    return resolved, unused_notes(found, used)


def _is_oam(doc: Document) -> bool:
    return isinstance(doc.data, dict) and doc.data.get("apiVersion") == API_VERSION


def _not_oam(doc: Document) -> ValidationError:
    kind = _raw_kind(doc.data)
    if isinstance(kind, str) and kind in ("Policy", "Workflow"):
        got = show(doc.data.get("apiVersion"))
        return ValidationError(
            f"expected {API_VERSION!r} for a standalone {kind}, got {got}", doc.source.locate(("apiVersion",))
        )
    known = ", ".join(OAM_KINDS)
    if isinstance(kind, str) and kind:
        meta = doc.data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        what = f"{kind} {name!r}" if isinstance(name, str) else kind
        where = doc.source.locate(("kind",))
        return ValidationError(f"{what} is not an OAM object ({known})", where, hint=WRAP_IT)
    return ValidationError(
        f"unsupported kind {show(kind)}", doc.source.locate(("kind",)), hint=f"expected one of {known}"
    )


def _raw_kind(data: object) -> object:
    return data.get("kind") if isinstance(data, dict) else None


def _check_unique_apps(apps: list[Application]) -> None:
    seen: set[tuple[str, str]] = set()
    for app in apps:
        key = (app.namespace, app.name)
        if key in seen:
            raise ValidationError(f"application {app.name!r} appears twice", app.locate(("metadata", "name")))
        seen.add(key)
