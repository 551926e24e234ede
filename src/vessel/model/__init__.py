"""The model layer: strict YAML reading and the typed, immutable Application."""

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
