"""Standalone `Policy` and `Workflow` objects (`core.oam.dev/v1alpha1`), as KubeVela reads them.

KubeVela lets a policy or a workflow live outside the Application, as an object of its own in the
Application's namespace: `spec.workflow.ref: NAME` runs the steps of the Workflow named NAME, and a
`deploy` step may name a policy the Application does not declare, which is then the Policy object of
that name. Vessel has no cluster to look them up in, so they come from the files given to the same
command (`vessel up -f app.yaml -f shared-policies.yaml`), and the Application is resolved against them
when it is read (`references.py`): what its revision snapshots is the Application with those steps and
policies written in, so a revision never depends on a file that may change later.

A standalone object without `metadata.namespace` serves an Application in any namespace; with one, only
the Applications of that namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema

from vessel.model.application import Policy
from vessel.model.application_schema import WORKFLOW_MODE, WORKFLOW_STEPS, object_metadata
from vessel.model.frozen import freeze
from vessel.model.ignored_fields import without_ignored
from vessel.model.schema_check import check, formats
from vessel.model.yaml_source import Document, SourceMap

API_VERSION = "core.oam.dev/v1alpha1"
KINDS = ("Policy", "Workflow")


def _schema(kind: str, fields: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": kind},
            "metadata": object_metadata(253),
            **fields,
        },
        "required": ["apiVersion", "kind", "metadata", *required],
        "additionalProperties": False,
    }


_POLICY = jsonschema.Draft202012Validator(
    _schema(
        "Policy", {"type": {"type": "string", "minLength": 1}, "properties": {"type": "object"}}, ("type",)
    ),
    format_checker=formats(),
)
_WORKFLOW = jsonschema.Draft202012Validator(
    _schema("Workflow", {"mode": WORKFLOW_MODE, "steps": WORKFLOW_STEPS}, ("steps",)),
    format_checker=formats(),
)


@dataclass(frozen=True)
class StandalonePolicy:
    name: str
    namespace: str | None
    type: str
    document: dict[str, Any]  # `type` and `properties`, as a policy entry of an Application writes them
    source: SourceMap

    def serves(self, namespace: str) -> bool:
        return self.namespace in (None, namespace)

    def as_policy(self, path: tuple[str | int, ...]) -> Policy:
        return Policy(self.name, self.type, freeze(self.document.get("properties", {})), path)


@dataclass(frozen=True)
class StandaloneWorkflow:
    name: str
    namespace: str | None
    document: dict[str, Any]  # `steps` and `mode`, as an Application's `spec.workflow` writes them
    source: SourceMap

    def serves(self, namespace: str) -> bool:
        return self.namespace in (None, namespace)


def parse_policy(doc: Document) -> StandalonePolicy:
    check(doc.data, _POLICY, doc.source.locate)
    data, _ = without_ignored(doc.data, doc.source)
    meta = data["metadata"]
    entry = {"name": meta["name"], "type": data["type"], **_only(data, "properties")}
    return StandalonePolicy(meta["name"], meta.get("namespace"), data["type"], entry, doc.source)


def parse_workflow(doc: Document) -> StandaloneWorkflow:
    check(doc.data, _WORKFLOW, doc.source.locate)
    data, _ = without_ignored(doc.data, doc.source)
    meta = data["metadata"]
    body = {"steps": data["steps"], **_only(data, "mode")}
    return StandaloneWorkflow(meta["name"], meta.get("namespace"), body, doc.source)


def _only(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: data[key]} if key in data else {}
