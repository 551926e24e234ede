"""The model layer: strict YAML reading and the typed, immutable Application.

The names below are imported on first use: reading one small module of this package (`redaction`,
`resource_key`) must not cost every command the JSON Schema and YAML machinery `parse` needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vessel.model.application import (
        Application,
        Component,
        Input,
        Mode,
        Output,
        Policy,
        Step,
        Trait,
        Workflow,
    )
    from vessel.model.parse import parse_application
    from vessel.model.yaml_source import Document, Limits, SourceMap, read_file, read_text

_WHERE = {
    "Application": "application",
    "Component": "application",
    "Input": "application",
    "Mode": "application",
    "Output": "application",
    "Policy": "application",
    "Step": "application",
    "Trait": "application",
    "Workflow": "application",
    "parse_application": "parse",
    "Document": "yaml_source",
    "Limits": "yaml_source",
    "SourceMap": "yaml_source",
    "read_file": "yaml_source",
    "read_text": "yaml_source",
}

__all__ = [
    "Application",
    "Component",
    "Document",
    "Input",
    "Limits",
    "Mode",
    "Output",
    "Policy",
    "SourceMap",
    "Step",
    "Trait",
    "Workflow",
    "parse_application",
    "read_file",
    "read_text",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vessel.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"vessel.model.{module}"), name)
    globals()[name] = value
    return value
