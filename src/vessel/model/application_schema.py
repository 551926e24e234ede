"""The JSON Schema of a KubeVela `core.oam.dev/v1beta1` Application, as Vessel accepts it.

Strict by design: every object forbids fields it does not know, so a typo (`dependOn`) is an error
instead of a silently ignored line.

Names follow Kubernetes' rules for where they end up (`kube_names.py`), whatever the target:

- the application's name is an object name and, with `-v<revision>` appended, a label value
  (`app.oam.dev/appRevision`): a DNS-1123 subdomain of at most 53 characters — Helm's limit for release
  names, for the same reason — leaving room for revisions up to 99,999,999;
- the namespace is a DNS-1123 label;
- component names are object names and label values (`app.oam.dev/component`): at most 63 characters;
- policy names become step names (`deploy-<policy>`): at most 63 characters; a policy written without one
  gets a generated, stable name (`policy_names.py`), as KubeVela's e2e files leave it out;
- step names are no Kubernetes names, but they are stored, shown and written into events and inventory
  records: letters, digits, `-`, `_` and `.`, starting and ending alphanumeric, at most 128 characters
  (no NUL, no `/`, no `../`).
"""

from __future__ import annotations

from typing import Any

from vessel.model.duration import EXPECTED as DURATION_EXPECTED
from vessel.model.duration import FORMAT as DURATION
from vessel.model.kube_names import DNS_LABEL, DNS_SUBDOMAIN, LABEL_WORDS, SUBDOMAIN_WORDS

NAME = rf"^{DNS_SUBDOMAIN}$"
STEP_NAME = r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
APP_NAME_MAX, STEP_NAME_MAX = 53, 128
STEP_WORDS = "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
MODE = {"enum": ["StepByStep", "DAG"]}
SERVER_METADATA = (
    "creationTimestamp",
    "generation",
    "resourceVersion",
    "uid",
    "managedFields",
    "finalizers",
    "selfLink",
)
"""Metadata a Kubernetes API server writes (`kubectl get app -o yaml` prints it): read, then ignored with
a note, like `status`, so an Application exported from a KubeVela cluster can be brought as it is."""


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _name(most: int, pattern: str = NAME, words: str = SUBDOMAIN_WORDS) -> dict[str, Any]:
    expected = f"a name of at most {most} characters: {words}"
    return {"type": "string", "pattern": pattern, "maxLength": most, "x-expected": expected}


_NAME = _name(63)
_STEP_NAME = _name(STEP_NAME_MAX, STEP_NAME, STEP_WORDS)
_PROPS = {"type": "object"}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_INPUTS = {
    "type": "array",
    "items": _obj({"from": {"type": "string"}, "parameterKey": {"type": "string"}}, ("from",)),
}
_OUTPUTS = {
    "type": "array",
    "items": _obj({"name": {"type": "string"}, "valueFrom": {"type": "string"}}, ("name", "valueFrom")),
}

_STEP_BASE = {
    "name": _STEP_NAME,
    "type": {"type": "string", "minLength": 1},
    "meta": _obj({"alias": {"type": "string"}}),
    "properties": _PROPS,
    "if": {"type": "string"},
    "timeout": {"type": "string", "format": DURATION, "x-expected": DURATION_EXPECTED},
    "dependsOn": _strings(),
    "inputs": _INPUTS,
    "outputs": _OUTPUTS,
}

WORKFLOW_MODE = _obj({"steps": MODE, "subSteps": MODE})
WORKFLOW_STEPS = {
    "type": "array",
    "items": _obj(
        {**_STEP_BASE, "subSteps": {"type": "array", "items": _obj(_STEP_BASE, ("name", "type"))}},
        ("name", "type"),
    ),
}


def object_metadata(name_most: int) -> dict[str, Any]:
    """`metadata` of an object Vessel reads: name, namespace, labels and annotations (and what an API
    server writes, ignored with a note)."""
    return _obj(
        {
            "name": _name(name_most),
            "namespace": _name(63, rf"^{DNS_LABEL}$", LABEL_WORDS),
            "labels": _STRING_MAP,
            "annotations": _STRING_MAP,
            **{field: {} for field in SERVER_METADATA},
        },
        ("name",),
    )


APPLICATION_SCHEMA: dict[str, Any] = _obj(
    {
        "apiVersion": {"const": "core.oam.dev/v1beta1"},
        "kind": {"const": "Application"},
        "metadata": object_metadata(APP_NAME_MAX),
        "status": {},
        "spec": _obj(
            {
                "components": {
                    "type": "array",
                    "items": _obj(
                        {
                            "name": _NAME,
                            "type": {"type": "string", "minLength": 1},
                            "properties": _PROPS,
                            "externalRevision": _NAME,
                            "traits": {
                                "type": "array",
                                "items": _obj(
                                    {"type": {"type": "string", "minLength": 1}, "properties": _PROPS},
                                    ("type",),
                                ),
                            },
                            "dependsOn": _strings(),
                            "inputs": _INPUTS,
                            "outputs": _OUTPUTS,
                        },
                        ("name", "type"),
                    ),
                },
                "policies": {
                    "type": "array",
                    "items": _obj(
                        {"name": _NAME, "type": {"type": "string", "minLength": 1}, "properties": _PROPS},
                        ("type",),
                    ),
                },
                "workflow": _obj({"ref": _name(253), "mode": WORKFLOW_MODE, "steps": WORKFLOW_STEPS}),
            },
            ("components",),
        ),
    },
    ("apiVersion", "kind", "metadata", "spec"),
)
