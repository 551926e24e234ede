"""Fields of an Application that record what a cluster did with it, not what to deliver.

An Application exported from a KubeVela cluster (`kubectl get application NAME -o yaml`) carries a
`status:` block and the metadata its API server wrote (`resourceVersion`, `uid`, `managedFields`…).
Refusing them would make a user strip them by hand; keeping them would put a cluster's bookkeeping into
revisions (and change a revision's digest whenever the cluster touched the object). So they are read,
left out of the Application — its document, hence its revisions, never holds them — and each one is
named in a note that `vessel up`, `dry-run` and `vet` show, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.model.application_schema import SERVER_METADATA
from vessel.model.yaml_source import SourceMap

STATUS_NOTE = "ignored: status is what a cluster reported, not part of what is delivered"
METADATA_NOTE = "ignored: written by a Kubernetes API server, not part of what is delivered"


def without_ignored(data: Mapping[str, Any], source: SourceMap) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`data` without its status and server-written metadata, and a note for each field left out."""
    kept = {key: value for key, value in data.items() if key != "status"}
    notes = [f"{source.locate(('status',))}: {STATUS_NOTE}"] if "status" in data else []
    meta = dict(data["metadata"])
    for field in SERVER_METADATA:
        if field in meta:
            del meta[field]
            notes.append(f"{source.locate(('metadata', field))}: {METADATA_NOTE}")
    kept["metadata"] = meta
    return kept, tuple(notes)
