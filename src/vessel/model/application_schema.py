"""The JSON Schema of a KubeVela `core.oam.dev/v1beta1` Application, as Vessel accepts it.

Strict by design: every object forbids fields it does not know, so a typo (`dependOn`) is an error
instead of a silently ignored line.
"""

from __future__ import annotations

from typing import Any

from vessel.model.duration import PATTERN as DURATION

NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
MODE = {"enum": ["StepByStep", "DAG"]}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


_NAME = {"type": "string", "pattern": NAME, "maxLength": 253}
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
    "name": {"type": "string", "minLength": 1},
    "type": {"type": "string", "minLength": 1},
    "meta": _obj({"alias": {"type": "string"}}),
    "properties": _PROPS,
    "if": {"type": "string"},
    "timeout": {"type": "string", "pattern": DURATION, "x-expected": "a duration like 30s, 5m or 1h30m"},
    "dependsOn": _strings(),
    "inputs": _INPUTS,
    "outputs": _OUTPUTS,
}

APPLICATION_SCHEMA: dict[str, Any] = _obj(
    {
        "apiVersion": {"const": "core.oam.dev/v1beta1"},
        "kind": {"const": "Application"},
        "metadata": _obj(
            {
                "name": _NAME,
                "namespace": {"type": "string", "pattern": NAME, "maxLength": 63},
                "labels": _STRING_MAP,
                "annotations": _STRING_MAP,
            },
            ("name",),
        ),
        "spec": _obj(
            {
                "components": {
                    "type": "array",
                    "items": _obj(
                        {
                            "name": _NAME,
                            "type": {"type": "string", "minLength": 1},
                            "properties": _PROPS,
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
                        ("name", "type"),
                    ),
                },
                "workflow": _obj(
                    {
                        "ref": {"type": "string"},
                        "mode": _obj({"steps": MODE, "subSteps": MODE}),
                        "steps": {
                            "type": "array",
                            "items": _obj(
                                {
                                    **_STEP_BASE,
                                    "subSteps": {
                                        "type": "array",
                                        "items": _obj(_STEP_BASE, ("name", "type")),
                                    },
                                },
                                ("name", "type"),
                            ),
                        },
                    }
                ),
            },
            ("components",),
        ),
    },
    ("apiVersion", "kind", "metadata", "spec"),
)
