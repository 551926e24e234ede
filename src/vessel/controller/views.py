"""The documents read commands print: one shape per resource, built here once.

`vessel … -o json|yaml` prints these documents as they are, the table view draws them, and the REST API
(`/api/v1`) will return the same ones, so a field means the same thing everywhere. They read the store
only (no target is asked), so listing is cheap whatever the targets' state. Times are RFC 3339 in UTC
(`2024-05-01T12:00:00Z`), as the Kubernetes API writes them. The status document lives in `status.py`,
a diff's in `diff.py`.

    application list   [{"name", "namespace", "phase", "message", "revision", "latestRevision",
                          "createdAt", "updatedAt"}]
    revision list      [{"revision", "digest", "createdAt", "current"}]
    event list         [{"time", "type", "reason", "message"}]    oldest first
    definition list    [{"kind", "name", "description", "origin", "targetTypes"}]
    definition         {"kind", "name", "description", "origin", "targetTypes", "workload",
                        "appliesToWorkloads", "parameters": [{"name", "type", "required", "default",
                        "description"}], "schema"}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vessel.controller import publish_version
from vessel.controller.reader import Reads
from vessel.definitions.definition import Definition, Kind
from vessel.errors import UnknownTypeError, ValidationError
from vessel.store.location import existing_url
from vessel.store.records import AppRecord
from vessel.store.sqlite_reads import open_reads

if TYPE_CHECKING:
    from vessel.definitions.registry import Registry  # building one is a render command's cost


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def application_list(controller: Reads, namespace: str | None) -> list[dict[str, Any]]:
    """The applications of one namespace, or of every namespace (None), by namespace and name."""
    found = [a for a in controller.store.apps() if namespace is None or a.namespace == namespace]
    return [_application(a) for a in sorted(found, key=lambda a: (a.namespace, a.name))]


def _application(app: AppRecord) -> dict[str, Any]:
    return {
        "name": app.name,
        "namespace": app.namespace,
        "phase": app.phase,
        "message": app.message,
        "revision": app.revision,
        "latestRevision": app.latest_revision,
        "createdAt": rfc3339(app.created_at),
        "updatedAt": rfc3339(app.updated_at),
    }


def revision_list(controller: Reads, app: AppRecord) -> list[dict[str, Any]]:
    """Every revision of `app`, oldest first; `current` marks the one delivered (after a rollback, not
    the latest)."""
    named = publish_version.names(controller.store, app.id)
    return [
        {
            "revision": number,
            "name": named.get(number),
            "digest": digest,
            "createdAt": rfc3339(at),
            "current": number == app.revision,
        }
        for number, digest, at in controller.store.revisions(app.id)
    ]


def event_list(controller: Reads, app: AppRecord) -> list[dict[str, Any]]:
    return [
        {"time": rfc3339(e.at), "type": e.type, "reason": e.reason, "message": e.message}
        for e in controller.store.events(app.id)
    ]


def find_definition(registry: Registry, name: str, kind: str | None) -> Definition:
    """The definition called `name` (`NAME@vVERSION` names one version), of the kind whose noun is
    `kind` (component, trait, policy, 'workflow step') when several kinds share the name."""
    found = (registry.find(k, name) for k in Kind if kind is None or k.noun == kind)
    matches = [d for d in found if d is not None]
    if not matches:
        known = ", ".join(sorted({d.name for d in registry.all()}))
        raise UnknownTypeError(f"no definition named {name!r}", hint=f"known: {known}")
    if len(matches) > 1:
        kinds = ", ".join(d.kind.noun for d in matches)
        raise ValidationError(f"{name!r} names several definitions ({kinds})", hint="pass --kind")
    return matches[0]


def definition_list(definitions: list[Definition]) -> list[dict[str, Any]]:
    return [_definition_summary(d) for d in definitions]


def _definition_summary(d: Definition) -> dict[str, Any]:
    return {
        "kind": d.kind.value,
        "name": d.name,
        "description": d.description,
        "origin": d.origin,
        "targetTypes": list(d.target_types),
        "refused": d.refused or None,  # why Vessel refuses this KubeVela type, and what to use instead
        **_trait_fields(d),
    }


def _trait_fields(d: Definition) -> dict[str, Any]:
    """What only traits have: where they apply, what they conflict with, whether they restart pods."""
    if d.kind != Kind.TRAIT:
        return {}
    return {
        "appliesToWorkloads": list(d.applies_to_workloads),
        "conflictsWith": list(d.conflicts_with),
        "podDisruptive": d.pod_disruptive,
    }


def definition(d: Definition) -> dict[str, Any]:
    """One definition as `vessel def show` describes it: its parameters as a table of fields, and the
    JSON Schema itself (what validation, generated docs and forms use)."""
    return {
        **_definition_summary(d),
        "workload": d.workload.type if d.workload and d.workload.type else None,
        "appliesToWorkloads": list(d.applies_to_workloads),
        **_trait_fields(d),
        "parameters": [
            {
                "name": f.name,
                "type": f.type,
                "required": f.required,
                "default": f.default,
                "description": f.description,
            }
            for f in d.parameters.fields()
        ],
        "schema": d.parameters.schema,
        **_step_fields(d),
    }


def _step_fields(d: Definition) -> dict[str, Any]:
    """What only workflow steps have: the outputs `outputs[].valueFrom` can read."""
    if d.kind != Kind.WORKFLOW_STEP:
        return {}
    outputs = [{"name": name, "description": text} for name, text in d.outputs.items()]
    return {"outputs": outputs}


def application_names(prefix: str = "") -> list[str]:
    """The names of the applications (of every namespace) starting with `prefix`, from the store if one
    exists already — never creating one (shell completion asks this on every Tab press)."""
    url = existing_url()
    if url is None:
        return []
    store = open_reads(url)  # SQLAlchemy only when the store is not a current SQLite file
    try:
        return sorted({a.name for a in store.apps() if a.name.startswith(prefix)})
    finally:
        store.close()
