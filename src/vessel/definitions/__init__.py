"""The definitions layer: loading, validating and compiling platform-owned definitions.

The names below are imported on first use: a template worker process (`worker.py`) imports only the
sandbox, not JSON Schema and the model, so it starts in tens of milliseconds instead of hundreds.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vessel.definitions.definition import Definition, Kind, Workload
    from vessel.definitions.files import LoadedFiles, load_files
    from vessel.definitions.limits import RenderLimits
    from vessel.definitions.parameters import Field, Parameters
    from vessel.definitions.plugin import python_definition
    from vessel.definitions.registry import Registry, build_registry, builtin_definitions, load_path
    from vessel.definitions.template import JinjaTemplate, PythonTemplate, Status, StatusRules, Template

_WHERE = {
    "Definition": "definition",
    "Kind": "definition",
    "Workload": "definition",
    "LoadedFiles": "files",
    "load_files": "files",
    "RenderLimits": "limits",
    "Field": "parameters",
    "Parameters": "parameters",
    "python_definition": "plugin",
    "Registry": "registry",
    "build_registry": "registry",
    "builtin_definitions": "registry",
    "load_path": "registry",
    "JinjaTemplate": "template",
    "PythonTemplate": "template",
    "Status": "template",
    "StatusRules": "template",
    "Template": "template",
}

__all__ = [
    "Definition",
    "Field",
    "JinjaTemplate",
    "Kind",
    "LoadedFiles",
    "Parameters",
    "PythonTemplate",
    "Registry",
    "RenderLimits",
    "Status",
    "StatusRules",
    "Template",
    "Workload",
    "build_registry",
    "builtin_definitions",
    "load_files",
    "load_path",
    "python_definition",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vessel.definitions' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"vessel.definitions.{module}"), name)
    globals()[name] = value
    return value
