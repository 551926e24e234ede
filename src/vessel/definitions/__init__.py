"""The definitions layer: loading, validating and compiling platform-owned definitions."""

from vessel.definitions.definition import Definition, Kind, Workload
from vessel.definitions.files import LoadedFiles, load_files
from vessel.definitions.parameters import Field, Parameters
from vessel.definitions.plugin import python_definition
from vessel.definitions.registry import Registry, build_registry, builtin_definitions, load_path
from vessel.definitions.sandbox import RenderLimits
from vessel.definitions.template import JinjaTemplate, PythonTemplate, Status, StatusRules, Template

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
