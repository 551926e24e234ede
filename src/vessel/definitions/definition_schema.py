"""The JSON Schema of a Vessel definition file (KubeVela kinds and metadata, Jinja2 schematic)."""

from __future__ import annotations

from typing import Any

_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


DEFINITION_SCHEMA: dict[str, Any] = _obj(
    {
        "apiVersion": {"enum": ["core.oam.dev/v1beta1"]},
        "kind": {
            "enum": ["ComponentDefinition", "TraitDefinition", "PolicyDefinition", "WorkflowStepDefinition"]
        },
        "metadata": _obj(
            {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
                "namespace": {"type": "string"},
                "labels": _STRING_MAP,
                "annotations": _STRING_MAP,
            },
            ("name",),
        ),
        "spec": _obj(
            {
                "workload": _obj(
                    {
                        "definition": _obj(
                            {"apiVersion": {"type": "string"}, "kind": {"type": "string"}},
                            ("apiVersion", "kind"),
                        ),
                        "type": {"type": "string"},
                    }
                ),
                "version": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+){0,2}$"},
                "appliesToWorkloads": _STRINGS,
                "conflictsWith": _STRINGS,
                "podDisruptive": {"type": "boolean"},
                "status": _obj({"healthPolicy": {"type": "string"}, "customStatus": {"type": "string"}}),
                "schematic": _obj(
                    {
                        "jinja": _obj(
                            {
                                "parameters": {"type": "object"},
                                # A step's outputs (what `outputs[].valueFrom` reads): name -> meaning.
                                "outputs": _STRING_MAP,
                                "templates": {
                                    "type": "object",
                                    "propertyNames": {"enum": ["kubernetes", "local"]},
                                    "additionalProperties": {"type": "string"},
                                    "minProperties": 1,
                                },
                            },
                            (),
                        )
                    },
                    ("jinja",),
                ),
            },
            ("schematic",),
        ),
    },
    ("apiVersion", "kind", "metadata", "spec"),
)
